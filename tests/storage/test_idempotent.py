"""insert_once inside a larger transaction stays part of it, on both databases.

On SQLite the driver used to start transactions only before an INSERT or UPDATE, so a
SAVEPOINT opened first became the transaction and its RELEASE committed the insert: a
later failure in the same transaction left it behind (and other connections saw it
early: a throttled message was picked up as a new turn)."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from storage.db import create_engine, session_factory, transaction
from storage.idempotent import insert_once
from storage.models import StaffNotification


async def _count(database_url: str, key: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            query = select(func.count()).where(col(StaffNotification.idempotency_key) == key)
            return int((await session.exec(query)).one())
    finally:
        await engine.dispose()


async def test_a_failure_after_insert_once_rolls_the_insert_back(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as session:
                _, created = await insert_once(
                    session, StaffNotification(kind="error", text="x", idempotency_key="k1")
                )
                assert created
                raise RuntimeError("the rest of the transaction failed")
        assert await _count(database_url, "k1") == 0

        async with transaction(sessions) as session:
            _, created = await insert_once(
                session, StaffNotification(kind="error", text="x", idempotency_key="k1")
            )
        async with transaction(sessions) as session:
            _, again = await insert_once(
                session, StaffNotification(kind="error", text="y", idempotency_key="k1")
            )
        assert created and not again
        assert await _count(database_url, "k1") == 1
    finally:
        await engine.dispose()


async def test_the_row_insert_once_stored_is_the_sessions_and_changes_flush_as_updates(
    database_url: str,
) -> None:
    """insert_once reads back only the new id and attaches the row it was given: a change
    made to it later in the transaction must update that row, not insert another."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with transaction(sessions) as session:
            row, created = await insert_once(
                session, StaffNotification(kind="error", text="first", idempotency_key="k2")
            )
            assert created and row.id is not None
            row.text = "changed"
            session.add(row)
        async with transaction(sessions) as session:
            again, repeated = await insert_once(
                session, StaffNotification(kind="error", text="second", idempotency_key="k2")
            )
        assert not repeated and again.id == row.id and again.text == "changed"
        assert await _count(database_url, "k2") == 1
    finally:
        await engine.dispose()
