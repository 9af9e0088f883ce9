"""LangGraph checkpointer set-up in the same database, and pruning to one checkpoint per
conversation so checkpoint tables never grow with conversation length.

On PostgreSQL a pruned row is only marked dead: its space is reused after a VACUUM, and
autovacuum looks at a table at most once a minute. Each turn replaces a conversation's
checkpoint, so under load the tables would swell with dead rows between autovacuums;
`CheckpointPruner` vacuums them itself every few hundred turns (cheap: the live rows are
one per conversation)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import structlog
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from storage.db import SQLITE_BUSY_TIMEOUT_MS, is_sqlite, sqlite_path, sqlite_write_turn

log = structlog.get_logger(__name__)


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
            saver = QueuedSqliteSaver(conn, sqlite_path(database_url))
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


class QueuedSqliteSaver(AsyncSqliteSaver):
    """LangGraph's SQLite saver, its writes queued with the process's other SQLite
    writers (`storage.db.sqlite_write_turn`) instead of in SQLite's busy handler."""

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        super().__init__(conn)
        self.path = path

    async def aput(self, *args: Any, **kwargs: Any) -> Any:
        async with sqlite_write_turn(self.path):
            return await super().aput(*args, **kwargs)

    async def aput_writes(self, *args: Any, **kwargs: Any) -> None:
        async with sqlite_write_turn(self.path):
            await super().aput_writes(*args, **kwargs)

    async def adelete_thread(self, thread_id: str) -> None:
        async with sqlite_write_turn(self.path):
            await super().adelete_thread(thread_id)


#: Turns between two VACUUMs of the checkpoint tables (PostgreSQL's own autovacuum
#: threshold for a small table is 50 dead rows + 20%; a turn leaves about one).
VACUUM_EVERY_TURNS = 200
_CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
SQLITE_PRUNE_BATCH = 8


class CheckpointPruner:
    """Prunes each finished turn's thread to its newest checkpoint, off the turn's path,
    and on PostgreSQL vacuums the checkpoint tables every `VACUUM_EVERY_TURNS` turns.

    A prune runs in the background as soon as a turn ends; threads whose turns end while
    one runs are pruned together next (LangGraph's PostgreSQL prune is about ten
    statements per thread, 3 ms of CPU, and holds the saver's lock: on the turn's path it
    was a tenth of a turn's CPU). A thread holds at most the checkpoints of the turns
    that ended during one prune. `close()` prunes what is left and waits."""

    def __init__(self, saver: BaseCheckpointSaver[str], every: int = VACUUM_EVERY_TURNS) -> None:
        self._saver = saver
        self._every = every
        self._turns = 0
        self._waiting: set[str] = set()
        self._pruning: asyncio.Task[None] | None = None
        self._vacuum: asyncio.Task[None] | None = None
        self.vacuums = 0

    def after_turn(self, thread_id: str) -> None:
        self._waiting.add(thread_id)
        if self._pruning is None or self._pruning.done():
            self._pruning = asyncio.create_task(self._prune_waiting())
        if not isinstance(self._saver, AsyncPostgresSaver):
            return  # SQLite reuses a deleted row's page at once
        self._turns += 1
        if self._turns >= self._every and (self._vacuum is None or self._vacuum.done()):
            self._turns = 0
            self._vacuum = asyncio.create_task(self._vacuum_tables(self._saver))

    async def _prune_waiting(self) -> None:
        while self._waiting:
            threads = sorted(self._waiting)
            self._waiting.clear()
            try:
                await prune_threads(self._saver, threads)
            except Exception:  # maintenance must never fail a turn; the next turn retries
                log.warning("checkpoints.prune_failed", threads=len(threads), exc_info=True)

    async def close(self) -> None:
        """Finish pruning (and vacuuming) before the saver's connections close."""
        for task in (self._pruning, self._vacuum):
            if task is not None:
                await task
        if self._waiting:
            await self._prune_waiting()

    async def _vacuum_tables(self, saver: AsyncPostgresSaver) -> None:
        try:
            pool = saver.conn
            assert isinstance(pool, AsyncConnectionPool)  # how `open_checkpointer` made it
            async with pool.connection() as conn:  # autocommit: VACUUM needs no transaction
                await conn.execute(f"VACUUM (SKIP_LOCKED) {', '.join(_CHECKPOINT_TABLES)}")
            self.vacuums += 1
        except Exception:  # maintenance must never fail a turn; autovacuum still runs
            log.warning("checkpoints.vacuum_failed", exc_info=True)


async def prune_threads(saver: BaseCheckpointSaver[str], thread_ids: list[str]) -> None:
    """Keep only the newest checkpoint (and its writes) of each conversation."""
    if isinstance(saver, AsyncPostgresSaver):
        await saver.aprune(thread_ids, strategy="keep_latest")
        return
    if isinstance(saver, QueuedSqliteSaver):
        newest = "(SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '')"
        # A few threads per write turn: the turns' own writers wait while one is held.
        for start in range(0, len(thread_ids), SQLITE_PRUNE_BATCH):
            async with sqlite_write_turn(saver.path), saver.lock:
                for thread_id in thread_ids[start : start + SQLITE_PRUNE_BATCH]:
                    await saver.conn.execute(
                        f"DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id < {newest}",
                        (thread_id, thread_id),
                    )
                    await saver.conn.execute(
                        f"DELETE FROM writes WHERE thread_id = ? AND checkpoint_id < {newest}",
                        (thread_id, thread_id),
                    )
                await saver.conn.commit()
