"""Insert once: a row whose natural key exists already is not inserted again.

Resumed turns re-run tools without repeating effects (the idempotency key), and webhook
retries do not store a message twice (its channel message id). The insert is one
`INSERT … ON CONFLICT DO NOTHING RETURNING` statement, so losing a race to a concurrent
insert neither raises nor spoils the caller's transaction, and the common case (a new
row) costs one statement instead of a look-up, a savepoint, the insert and its release.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.rows import Row, column_values


@functools.cache
def _insert_statement(dialect: str, table: Table) -> Any:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING id` for a model's table, built once and
    bound per row (building it took longer than running it). Core, returning the id only:
    loading the whole row back as an entity cost more than the insert."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing().returning(table.c.id)


async def insert_once(
    session: AsyncSession, row: Row, *key: ColumnElement[bool]
) -> tuple[Row, bool]:
    """Insert `row` unless a row matching `key` exists; return (the stored row, created).

    `key` defaults to the row's `idempotency_key`; with no key at all, just insert. The
    key must be backed by a unique constraint: a conflict is what detects the repeat."""
    model = type(row)
    if not key and row.idempotency_key is not None:
        key = (model.idempotency_key == row.idempotency_key,)
    if not key:
        async with session.begin_nested():
            session.add(row)
        return row, True
    statement = _insert_statement(session.get_bind().dialect.name, model.__table__)
    inserted = await session.exec(statement, params=column_values(row))
    row_id = inserted.scalar()
    if row_id is not None:
        # Stored as it stands: the session holds it as if loaded, so later changes to it
        # flush as UPDATEs.
        row.id = row_id
        make_transient_to_detached(row)
        session.add(row)
        return row, True
    found: Row | None = (await session.exec(select(model).where(*key))).first()
    if found is None:  # the conflict was on another unique column, not the key
        raise IntegrityError(str(statement), None, ValueError(f"{model.__name__} conflicts"))
    return found, False
