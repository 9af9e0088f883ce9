"""Database set-up: one async engine per process, SQLite tuned for concurrent turns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 30_000


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
    # WAL lets readers run beside the one writer; the busy timeout makes writers wait
    # for each other instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: Connections kept open. A turn opens several short sessions; when more are in use than
#: the pool keeps, each extra one is a new connection, closed again at once (on SQLite a
#: new thread and file open, on PostgreSQL a new server process): under load that churn
#: cost more CPU than the queries. PostgreSQL's default limit is 100 connections.
POOL_SIZE = 30
POOL_OVERFLOW = 20


def create_engine(url: str) -> AsyncEngine:
    if is_sqlite(url):
        engine = create_async_engine(
            async_url(url),
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    return create_async_engine(
        async_url(url), pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed on success and rolled back on any error."""
    async with sessions() as session, session.begin():
        yield session
