"""Insert-once by idempotency key: resumed turns re-run tools without repeating effects."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=Any)


async def insert_once(session: AsyncSession, row: Row) -> tuple[Row, bool]:
    """Insert `row` unless a row with its `idempotency_key` exists; return (row, created)."""
    model = type(row)
    key = row.idempotency_key
    if key is not None:
        found = (await session.exec(select(model).where(model.idempotency_key == key))).first()
        if found is not None:
            return found, False
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        if key is None:
            raise
        found = (await session.exec(select(model).where(model.idempotency_key == key))).first()
        assert found is not None
        return found, False
    return row, True
