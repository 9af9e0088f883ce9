"""The daily token budget's total: read from the traces at most every few seconds, with
this process's own spending counted in between, on both databases.

Summing every trace since midnight before each model call made each call slower the
busier the day had been."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.runner import DayTokens
from storage.db import create_engine, session_factory, transaction
from storage.models import utcnow
from tests.support.rows import add_traced_turns


async def _add_traces(
    sessions: async_sessionmaker[AsyncSession], tokens: list[int], *, days_ago: int = 0
) -> None:
    created_at = utcnow() - timedelta(days=days_ago)
    async with transaction(sessions) as session:
        for amount in tokens:
            await add_traced_turns(session, ["hello"], tokens=amount, created_at=created_at)


async def test_the_day_total_is_read_once_then_kept_up_to_date_locally(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await _add_traces(sessions, [100, 250])
        await _add_traces(sessions, [10_000], days_ago=2)  # not today's
        day = DayTokens(refresh_s=3600)
        async with sessions() as session:
            assert await day.spent(session) == 350
        day.add(40)  # a turn this process just ran
        await _add_traces(sessions, [1_000])  # another replica's turn: seen at the next read
        async with sessions() as session:
            assert await day.spent(session) == 390
        fresh = DayTokens(refresh_s=0)
        async with sessions() as session:
            assert await fresh.spent(session) == 1_350
    finally:
        await engine.dispose()
