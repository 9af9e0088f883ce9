"""The SQLite driver runs statements on the event loop's thread where SQLite cannot wait
for a lock, goes to aiosqlite's thread where it can (another process writing), and gives
SQLAlchemy the same results, row counts, ids, errors and transactions as the stock
adapter."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import create_engine, session_factory, sqlite_path, transaction
from storage.models import Customer
from tests.support.databases import DatabaseFactory


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call queued to aiosqlite's thread, by function name."""
    queued: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        runs = args[0] if getattr(fn, "__name__", "") == "_waiting" else fn  # the driver's
        queued.append(getattr(runs, "__name__", repr(runs)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return queued


async def test_reads_writes_and_commits_run_on_the_loops_thread(
    sessions: async_sessionmaker[AsyncSession], trips: list[str]
) -> None:
    async with sessions() as session:  # a warm connection in the pool
        await session.exec(select(Customer.id).limit(1))
    trips.clear()
    async with sessions() as session:
        found = (await session.exec(select(Customer).where(Customer.user_id == "x"))).all()
        await session.exec(select(Customer.id).limit(1))
        assert found == []
    assert trips == []  # BEGIN, both SELECTs and the ROLLBACK at close ran inline
    async with transaction(sessions) as session:
        await session.exec(select(Customer.id).limit(1))
        session.add(Customer(user_id="inline-1", name="Inline"))
        await session.flush()
        assert trips == []  # BEGIN IMMEDIATE, the SELECT and the INSERT
    assert trips == []  # and the COMMIT
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


async def test_a_rolled_back_transaction_and_savepoint_leave_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        async with session.begin():
            session.add(Customer(user_id="gone-1", name="Gone"))
            await session.flush()
            await session.rollback()
    async with transaction(sessions) as session:
        session.add(Customer(user_id="kept-1", name="Kept"))
        await session.flush()
        nested = await session.begin_nested()
        session.add(Customer(user_id="gone-2", name="Gone"))
        await session.flush()
        await nested.rollback()
        async with session.begin_nested():
            session.add(Customer(user_id="kept-2", name="Kept"))
    async with sessions() as session:
        names = (
            await session.exec(
                select(Customer.user_id)
                .where(col(Customer.user_id).in_(["gone-1", "gone-2", "kept-1", "kept-2"]))
                .order_by(col(Customer.user_id))
            )
        ).all()
    assert names == ["kept-1", "kept-2"]


@pytest.fixture
async def database(sqlite_databases: DatabaseFactory) -> AsyncIterator[tuple[str, Any]]:
    """A fresh database's file and sessions on it."""
    url = sqlite_databases.fresh()
    engine = create_engine(url)
    try:
        yield sqlite_path(url), session_factory(engine)
    finally:
        await engine.dispose()


async def test_a_writer_waiting_for_another_process_does_not_block_the_loop(
    database: tuple[str, async_sessionmaker[AsyncSession]], trips: list[str]
) -> None:
    path, sessions = database
    async with sessions() as session:  # a warm connection in the pool
        await session.exec(select(Customer.id).limit(1))
    locked, release = threading.Event(), threading.Event()

    def other_process() -> None:  # a second connection, as a CLI command would hold it
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE customers SET name = name")
        locked.set()
        release.wait(5)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=other_process)
    holder.start()
    locked.wait(5)
    trips.clear()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def writer() -> None:
        async with transaction(sessions) as session:
            session.add(Customer(user_id="after-lock", name="Waited"))
            await session.flush()

    ticking = asyncio.create_task(ticker())
    writing = asyncio.create_task(writer())
    await asyncio.sleep(0.5)
    assert not writing.done()  # it waits for the other connection's lock ...
    assert ticks > 10  # ... on the driver's thread, not the loop's
    release.set()
    await asyncio.wait_for(writing, 10)
    ticking.cancel()
    await asyncio.to_thread(holder.join)
    assert trips  # the BEGIN IMMEDIATE SQLite answered BUSY went to the thread
    async with sessions() as session:
        found = await session.exec(select(Customer).where(Customer.user_id == "after-lock"))
        assert found.one().name == "Waited"


async def test_every_hundredth_commit_checkpoints_the_wal_on_the_drivers_thread(
    database: tuple[str, async_sessionmaker[AsyncSession]], trips: list[str]
) -> None:
    """No commit on the event loop's thread copies the WAL into the database (that stops
    the loop for milliseconds); the thread does it, so the WAL does not grow for ever."""
    from storage.sqlite_driver import CHECKPOINT_EVERY

    path, sessions = database
    for n in range(CHECKPOINT_EVERY * 3):
        async with transaction(sessions) as session:
            session.add(Customer(user_id=f"wal-{n}", name="Wal"))
    assert 2 <= trips.count("_checkpoint") <= 3
    with sqlite3.connect(path) as raw:
        busy, frames, _ = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    # What the last checkpoint left: fewer than a hundred commits' pages, not three hundred.
    assert busy == 0 and frames < CHECKPOINT_EVERY * 3, frames
