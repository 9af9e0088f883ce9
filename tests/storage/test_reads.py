"""Round trips to PostgreSQL, read off libpq's own protocol trace: a read needs no
transaction around it, and the conversation lock none around its lock and unlock."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, session_factory
from storage.reads import reading
from switchboard.engine.cluster import PostgresConversationLocks
from tests.support.databases import DatabaseFactory

pytestmark = pytest.mark.postgres


@contextmanager
def queries_sent(db: AsyncEngine, path: Path) -> Iterator[list[str]]:
    """What each connection checked out in the block sent: one entry a query ("BEGIN",
    "ROLLBACK", …) or a statement of the extended protocol (its SQL)."""
    sent: list[str] = []
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)

    def trace(dbapi_connection, _record, _proxy) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.driver_connection.pgconn.trace(descriptor)

    event.listen(db.sync_engine.pool, "checkout", trace)
    try:
        yield sent
    finally:
        event.remove(db.sync_engine.pool, "checkout", trace)
        os.close(descriptor)
        for line in path.read_text().splitlines():
            fields = line.split("\t")
            if len(fields) > 4 and fields[1] == "F" and fields[3] in ("Query", "Parse"):
                sent.append(fields[4].strip().split('"')[-2])


async def test_a_read_runs_its_statements_alone(
    postgres_databases: DatabaseFactory, tmp_path: Path
) -> None:
    db = create_engine(postgres_databases.fresh())
    sessions = session_factory(db)
    try:
        async with reading(sessions) as session:  # a pooled connection exists
            await session.execute(text("SELECT 1"))
        with queries_sent(db, tmp_path / "trace") as sent:
            async with reading(sessions) as session:
                await session.execute(text("SELECT 2"))
                await session.execute(text("SELECT 3"))
        assert [q for q in sent if q != ";"] == ["SELECT 2", "SELECT 3"]  # ";": the ping
        with queries_sent(db, tmp_path / "trace") as sent:
            async with sessions() as session:  # a session as usual, for comparison
                await session.execute(text("SELECT 4"))
        assert "ROLLBACK" in sent and any(q.startswith("BEGIN") for q in sent)
    finally:
        await db.dispose()


async def test_the_conversation_lock_is_a_round_trip_to_take_and_one_to_release(
    postgres_databases: DatabaseFactory, tmp_path: Path
) -> None:
    db = create_engine(postgres_databases.fresh())
    locks = PostgresConversationLocks(db)
    try:
        async with locks.hold(1):
            pass
        with queries_sent(db, tmp_path / "trace") as sent:
            async with locks.hold(1):
                pass
        assert [q for q in sent if q != ";"] == [
            "SELECT pg_advisory_lock($1, $2)",
            "SELECT pg_advisory_unlock($1, $2)",
        ]
    finally:
        await db.dispose()
