"""The SQLite driver makes one trip to aiosqlite's thread per statement and gives
SQLAlchemy the same results, row counts, ids and errors as the stock adapter."""

from __future__ import annotations

from typing import Any

import aiosqlite
import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import transaction
from storage.models import Customer


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call queued to aiosqlite's thread, by function name."""
    queued: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return queued


async def test_a_statement_is_one_trip_to_the_driver_thread(
    sessions: async_sessionmaker[AsyncSession], trips: list[str]
) -> None:
    async with sessions() as session:  # a warm connection in the pool
        await session.exec(select(Customer.id).limit(1))
    trips.clear()
    async with transaction(sessions) as session:
        found = (await session.exec(select(Customer).where(Customer.user_id == "x"))).all()
        await session.exec(select(Customer.id).limit(1))
        assert found == []
        assert len(trips) == 2  # BEGIN IMMEDIATE went with the first statement
    assert len(trips) == 3  # and the COMMIT; the stock adapter made 12
    trips.clear()
    async with transaction(sessions):
        pass  # nothing ran: nothing began, nothing to commit
    assert trips == []


async def test_rows_ids_counts_and_errors_are_the_drivers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        one = Customer(user_id="drv-1", name="One")
        session.add(one)
        await session.flush()  # INSERT … RETURNING the id
        assert one.id is not None
        await session.execute(  # executemany
            insert(Customer), [{"user_id": f"drv-{n}", "name": f"N{n}"} for n in range(2, 6)]
        )
        renamed = await session.execute(
            text("UPDATE customers SET name = 'Renamed' WHERE user_id LIKE 'drv-%'")
        )
        assert renamed.rowcount == 5  # type: ignore[attr-defined]
    async with sessions() as session:
        names = (
            await session.exec(
                select(Customer.user_id, Customer.name)
                .where(col(Customer.user_id).like("drv-%"))
                .order_by(col(Customer.user_id))
            )
        ).all()
        assert names == [(f"drv-{n}", "Renamed") for n in range(1, 6)]
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            session.add(Customer(user_id="drv-1", name="Twice"))
            await session.flush()
    async with sessions() as session:  # the failed transaction left nothing behind
        count = len((await session.exec(select(Customer).where(Customer.name == "Twice"))).all())
        assert count == 0


async def test_a_streamed_first_query_begins_the_transaction_too(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        rows = await session.stream(select(Customer.id))
        assert [row async for row in rows]
        driver = (await session.connection()).sync_connection.connection.dbapi_connection
        sqlite = driver._connection  # type: ignore[union-attr]
        assert await sqlite._execute(lambda c: c.in_transaction, sqlite._conn)
