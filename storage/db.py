"""Database set-up: one async engine per process, SQLite tuned for concurrent turns."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.sqlite_driver import OneTripConnection, OneTripDbapi

SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Execution option: this transaction will write (SQLite then begins it IMMEDIATE).
WRITES = "switchboard_writes"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def async_url(url: str) -> str:
    """The driver URL for the async engine (`sqlite:///x` → aiosqlite, psycopg stays)."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """The driver URL for alembic, which runs synchronously."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        parsed = parsed.set(drivername="sqlite")
    elif parsed.drivername.startswith(("postgresql", "postgres")):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_path(url: str) -> str:
    database = make_url(url).database
    return database or ":memory:"


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling starts a transaction only before an INSERT or
    # UPDATE, so when a SAVEPOINT came first (insert_once), SQLite took the savepoint as
    # the transaction and its RELEASE committed: the rest of the transaction was no
    # longer atomic with it. We begin every transaction ourselves (`_begin_sqlite`), as
    # SQLAlchemy documents for pysqlite and aiosqlite.
    dbapi_connection.isolation_level = None
    # WAL lets readers run beside the one writer. (The busy timeout, which makes a writer
    # wait for another instead of failing with "database is locked", is the connect
    # timeout: the driver turns it on only on its thread.)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The driver checkpoints the WAL on its thread (storage.sqlite_driver CHECKPOINT_EVERY),
    # so no commit on the event loop's thread stops it to copy pages.
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


#: Connections kept open. A turn opens several short sessions; when more are in use than
#: the pool keeps, each extra one is a new connection, closed again at once (on SQLite a
#: new thread and file open, on PostgreSQL a new server process): under load that churn
#: cost more CPU than the queries. PostgreSQL's default limit is 100 connections.
POOL_SIZE = 30
POOL_OVERFLOW = 20
#: No rollback when a connection goes back to the pool: closing a `Connection` already
#: rolls back whatever transaction it began (a session's close does, too), so the pool's
#: own reset was a second ROLLBACK per session, on SQLite one more trip to the driver
#: thread. Measured: about 8 per turn.
POOL_OPTIONS: dict[str, Any] = {
    "pool_size": POOL_SIZE,
    "max_overflow": POOL_OVERFLOW,
    "pool_reset_on_return": None,
}


def _begin_sqlite(connection: Any) -> None:
    # A transaction that will write takes the write lock at once (IMMEDIATE): a deferred
    # one that read first could not upgrade after another writer committed
    # (SQLITE_BUSY_SNAPSHOT, no waiting), where IMMEDIATE waits its turn.
    immediate = connection.get_execution_options().get(WRITES, False)
    driver: OneTripConnection = connection.connection.dbapi_connection
    driver.defer_begin("BEGIN IMMEDIATE" if immediate else "BEGIN")  # with the 1st statement


def create_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(
            async_url(url),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            module=OneTripDbapi(),
            **POOL_OPTIONS,
        )
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_sqlite)
        return engine
    # No server-side prepared statements: psycopg's bookkeeping for them (12% of the
    # event loop's samples on PostgreSQL) cost more than planning our short queries
    # saves (interleaved runs, 50 conversations: faster in 3 of 4 pairs, by 3-7%), and
    # PgBouncer in transaction mode cannot carry them anyway.
    return create_async_engine(
        async_url(url),
        pool_pre_ping=True,
        connect_args={"prepare_threshold": None},
        **POOL_OPTIONS,
    )


def session_factory(
    engine: AsyncEngine, *, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """`info` is copied into each session's `info` (the webhooks its changes report)."""
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False, info=info)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed on success and rolled back on any error."""
    async with sessions() as session, session.begin():
        await will_write(session)
        yield session


_WRITE_TURN = "switchboard_write_turn"
"""In `session.info`: the writers' lock this session holds until its transaction ends (a
second `will_write` on the same session must not wait for itself)."""


async def will_write(session: AsyncSession) -> None:
    """Declare, before its first statement, that this session's transaction writes: on
    SQLite it then waits its turn among this process's writers and begins IMMEDIATE (see
    `_begin_sqlite`); elsewhere it changes nothing. The turn ends with the transaction."""
    bind = session.get_bind()
    if (
        bind.dialect.name == "sqlite"
        and _WRITE_TURN not in session.info
        and sqlite_path(str(bind.engine.url)) not in _HELD_WRITE_TURNS.get()
    ):
        session.info[_WRITE_TURN] = await _wait_to_write(sqlite_path(str(bind.engine.url)))
    try:
        await session.connection(execution_options={WRITES: True})
    except BaseException:
        _end_write_turn(session.sync_session)
        raise


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction, not a savepoint, ended
        _end_write_turn(session)


def _end_write_turn(session: Session) -> None:
    lock = session.info.pop(_WRITE_TURN, None)
    if lock is not None:
        lock.release()


#: This process's SQLite writers queue here, one lock a database file (per event loop),
#: first come first served, rather than in SQLite's busy handler, which retries after
#: sleeps of 1, 2, 5 … 100 ms and favours no one: under load a writer slept long after the
#: lock was free, and that was the p99. Writers in other processes still meet the busy
#: timeout.
_WRITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


async def _wait_to_write(path: str) -> asyncio.Lock:
    lock = _WRITERS.setdefault(asyncio.get_running_loop(), {}).setdefault(path, asyncio.Lock())
    try:
        # asyncio.timeout, not wait_for: no task of its own for every write transaction.
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await lock.acquire()
    except TimeoutError:
        raise OperationalError(
            "BEGIN IMMEDIATE", None, TimeoutError("database is locked")
        ) from None
    return lock


_HELD_WRITE_TURNS: ContextVar[frozenset[str]] = ContextVar(
    "switchboard_held_write_turns", default=frozenset()
)
"""The databases whose writer turn this task holds through `sqlite_write_turn`: its
sessions write inside that turn and must not queue behind it (the shadow policy's
sandbox, one transaction over many sessions)."""


@asynccontextmanager
async def sqlite_write_turn(path: str) -> AsyncIterator[None]:
    """Hold this process's turn to write `path` (for writers outside SQLAlchemy: the
    LangGraph checkpointer; or around a transaction many sessions join)."""
    lock = await _wait_to_write(path)
    held = _HELD_WRITE_TURNS.set(_HELD_WRITE_TURNS.get() | {path})
    try:
        yield
    finally:
        _HELD_WRITE_TURNS.reset(held)
        lock.release()


def libpq_url(url: str) -> str:
    """`postgresql+psycopg://…` (SQLAlchemy) → `postgresql://…` (libpq conninfo)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
