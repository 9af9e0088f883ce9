"""This process's SQLite writers queue on one lock, in order, instead of polling in
SQLite's busy handler; every way a writing transaction ends gives the turn to the next."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction, will_write

WRITE = text("UPDATE customers SET name = name WHERE id = -1")


async def _write(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessions) as session:
        await session.execute(WRITE)


async def test_writers_waiting_behind_a_transaction_write_in_the_order_they_came(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    order: list[int] = []
    release = asyncio.Event()

    async def holder() -> None:
        async with transaction(sessions) as session:
            await session.execute(WRITE)
            await release.wait()

    async def writer(n: int) -> None:
        async with transaction(sessions) as session:
            order.append(n)
            await session.execute(WRITE)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0.05)
    writers = []
    for n in range(5):
        writers.append(asyncio.create_task(writer(n)))
        await asyncio.sleep(0.01)  # each is waiting before the next comes
    assert order == []  # none began while the holder's transaction was open
    release.set()
    await asyncio.wait_for(asyncio.gather(first, *writers), 10)
    assert order == [0, 1, 2, 3, 4]


async def test_a_failed_transaction_gives_the_next_writer_its_turn(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await session.execute(WRITE)
            raise RuntimeError("the work failed")
    await asyncio.wait_for(_write(sessions), 5)


async def test_a_writing_session_closed_without_commit_gives_the_next_writer_its_turn(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await will_write(session)
        await session.execute(WRITE)
    await asyncio.wait_for(_write(sessions), 5)


async def test_a_session_that_declares_twice_does_not_wait_for_itself(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def twice() -> None:
        async with transaction(sessions) as session:
            await will_write(session)  # e.g. a helper that declares again
            await session.execute(WRITE)

    await asyncio.wait_for(twice(), 5)
    await asyncio.wait_for(_write(sessions), 5)
