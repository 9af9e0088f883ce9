"""Plain inserts for the rows every turn writes (replies, traces).

`session.add` + `flush` runs SQLAlchemy's unit of work: change tracking, dependency
sorting and identity-map bookkeeping for one INSERT, 0.5 ms of the event loop a row
(measured, SQLite). These rows are written once and only read afterwards, so a Core
INSERT built once per model, bound per row, does the same in less than half the time.
The row stays outside the session: change it through an UPDATE, not by setting its
attributes and flushing.
"""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from sqlalchemy import Insert, Table, insert
from sqlmodel.ext.asyncio.session import AsyncSession

Row = TypeVar("Row", bound=Any)


def column_values(row: Any) -> dict[str, Any]:
    """The row's column values, leaving out an id the database assigns."""
    table = type(row).__table__
    return {
        column.name: getattr(row, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.name) is None)
    }


@functools.cache
def _insert_returning_id(table: Table) -> Insert:
    return insert(table).returning(table.c.id)


async def insert_row(session: AsyncSession, row: Row) -> Row:
    """INSERT `row` in the session's transaction and give it the id the database chose."""
    statement = _insert_returning_id(type(row).__table__)
    result = await session.exec(statement, params=column_values(row))
    row.id = result.scalar_one()
    return row
