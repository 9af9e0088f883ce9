"""LangGraph checkpointer set-up in the same database, and pruning to one checkpoint per
conversation so checkpoint tables never grow with conversation length."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from storage.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite, sqlite_path


def libpq_url(url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy) → `postgresql://…` (libpq conninfo)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@asynccontextmanager
async def open_checkpointer(database_url: str) -> AsyncIterator[BaseCheckpointSaver[str]]:
    if is_sqlite(database_url):
        conn = await aiosqlite.connect(sqlite_path(database_url))
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA synchronous=NORMAL")
        try:
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            yield saver
        finally:
            await conn.close()
        return
    pool = AsyncConnectionPool(
        libpq_url(database_url),
        min_size=1,
        max_size=10,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    )
    await pool.open()
    try:
        saver_pg = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
        await saver_pg.setup()
        yield saver_pg
    finally:
        await pool.close()


async def prune_thread(saver: BaseCheckpointSaver[str], thread_id: str) -> None:
    """Keep only the newest checkpoint (and its writes) of one conversation."""
    if isinstance(saver, AsyncPostgresSaver):
        await saver.aprune([thread_id], strategy="keep_latest")
        return
    if isinstance(saver, AsyncSqliteSaver):
        newest = "(SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '')"
        async with saver.lock:
            await saver.conn.execute(
                f"DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id < {newest}",
                (thread_id, thread_id),
            )
            await saver.conn.execute(
                f"DELETE FROM writes WHERE thread_id = ? AND checkpoint_id < {newest}",
                (thread_id, thread_id),
            )
            await saver.conn.commit()
