"""Insert once: a row whose natural key exists already is not inserted again.

Resumed turns re-run tools without repeating effects (the idempotency key), and webhook
retries do not store a message twice (its channel message id). The insert runs in a
savepoint, so losing a race to a concurrent insert does not spoil the caller's transaction.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=Any)


async def insert_once(
    session: AsyncSession, row: Row, *key: ColumnElement[bool]
) -> tuple[Row, bool]:
    """Insert `row` unless a row matching `key` exists; return (row, created).

    `key` defaults to the row's `idempotency_key`; with no key at all, just insert."""
    model = type(row)
    if not key and row.idempotency_key is not None:
        key = (model.idempotency_key == row.idempotency_key,)

    async def existing() -> Row | None:
        found: Row | None = (await session.exec(select(model).where(*key))).first()
        return found

    if key and (found := await existing()) is not None:
        return found, False
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        if not key:
            raise
        found = await existing()
        assert found is not None
        return found, False
    return row, True
