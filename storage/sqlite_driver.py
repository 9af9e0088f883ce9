"""SQLAlchemy's aiosqlite driver, running statements on the event loop's thread where
SQLite cannot wait there.

aiosqlite runs every sqlite3 call on its own thread and hands each result back through
the event loop: a future, a wake-up and a callback, several times the CPU of a short
statement itself. Only a lock is worth that trip (the busy handler sleeps until another
connection lets go, up to the connect timeout), so a connection's busy handler is off
except while its thread works, and SQLite answers SQLITE_BUSY at once instead of waiting.
What runs where:

- Inline, directly on the sqlite3 connection: inside a transaction, every statement, the
  transaction's BEGIN (`defer_begin`: it travels with the first statement), its COMMIT
  (in WAL it waits for no lock) and ROLLBACK.
  This process's writers take turns before their BEGIN IMMEDIATE (`storage.db`), and
  WAL readers never wait for the writer, so inline is the common case.
- On the thread, in one trip (execute, fetch every row, close): a statement or BEGIN
  SQLite answered BUSY (another process holds the write lock; a failed attempt to lock
  changed nothing, so the thread does what the busy handler would: try again), a
  statement outside a transaction (the connection's PRAGMAs), every
  `CHECKPOINT_EVERY`th COMMIT with the WAL checkpoint after it (which copies pages and
  syncs the database file; our connections never checkpoint after their own commits),
  `stream()`.
- One side at a time: inline only while no trip is queued or running (a cancelled await
  leaves its trip running) and no statement holds the adapter's mutex.

Everything else (connections, transactions, errors, server-side cursors) is SQLAlchemy's
own adapter; an inline error is sqlite3's, as the thread's is.
"""

from __future__ import annotations

import collections
import contextlib
import sqlite3
from collections.abc import Callable
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    AsyncAdapt_aiosqlite_ss_cursor,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_NO_WAIT = "PRAGMA busy_timeout=0"
#: Our connections never checkpoint the WAL after their commits (`wal_autocheckpoint=0`,
#: storage.db): a checkpoint copies pages and syncs the database file, milliseconds the
#: event loop would stand still. Every this many commits of an engine, one commits on the
#: thread and checkpoints there instead (SQLite's own default is every 1000 WAL pages;
#: a turn's commit writes a few).
CHECKPOINT_EVERY = 100


def _checkpoint(connection: sqlite3.Connection) -> None:
    """Copy what the WAL holds into the database, waiting for no reader or writer."""
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _is_busy(error: sqlite3.OperationalError) -> bool:
    """SQLite wanted a lock another connection holds (SQLITE_BUSY and its variants)."""
    return error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY


class _Finished:
    """What a closed sqlite3 cursor leaves for SQLAlchemy to read."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, cursor: sqlite3.Cursor | None = None) -> None:
        self.description = cursor.description if cursor else None
        self.rowcount = cursor.rowcount if cursor else -1
        self.lastrowid = cursor.lastrowid if cursor else None
        self.arraysize = 1

    async def close(self) -> None:
        """Already closed where it ran."""


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: str | None
) -> tuple[_Finished, list[Any] | None]:
    """Begin (if the transaction has not yet), execute, fetch every row, close."""
    if begin is not None:
        connection.execute(begin)
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return _Finished(cursor), rows
    finally:
        cursor.close()


class _DriverThread(aiosqlite.Connection):
    """aiosqlite's connection whose thread waits for locks (the busy handler is on only
    there) and counts the trips it has finished."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], wait_ms: int) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._wait = f"PRAGMA busy_timeout={wait_ms}"
        self.trips_queued = 0
        self.trips_done = 0  # written by the thread only

    def usable_here(self) -> sqlite3.Connection | None:
        """The sqlite3 connection, if the thread has nothing of it to run."""
        return self._connection if self.trips_done == self.trips_queued else None

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")  # as aiosqlite's, before counting a trip
        self.trips_queued += 1
        return await super()._execute(self._waiting, fn, args, kwargs)

    def _waiting(self, fn: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        connection = self._conn
        try:
            connection.execute(self._wait)
            return fn(*args, **kwargs)
        finally:
            with contextlib.suppress(sqlite3.ProgrammingError):  # fn closed it
                connection.execute(_NO_WAIT)
            self.trips_done += 1


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor (opening one was a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Finished()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        # A coroutine even when nothing in it waits: SQLAlchemy's AsyncConnection checks
        # that its driver awaited something.
        adapted: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            driver: _DriverThread = self._connection  # type: ignore[assignment]
            connection = driver.usable_here()
            done = (
                None
                if connection is None
                else self._inline(connection, operation, parameters, many)
            )
            if done is None:
                done = await driver._execute(
                    _run, driver._conn, operation, parameters, many, adapted.take_begin()
                )
        self._cursor, rows = done  # type: ignore[assignment]
        self._rows = collections.deque(rows or ())

    def _inline(
        self, connection: sqlite3.Connection, operation: Any, parameters: Any, many: bool
    ) -> tuple[_Finished, list[Any] | None] | None:
        """Run the statement here, or None: it is the thread's (see the module docstring)."""
        adapted: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        try:
            if adapted.begin_with is not None:
                connection.execute(adapted.begin_with)
                adapted.begin_with = None
            elif not connection.in_transaction:
                return None
            return _run(connection, operation, parameters, many, None)
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                return None
            adapted.begin_with = None
            raise

    def close(self) -> None:
        self._rows.clear()  # the sqlite3 cursor closed where it ran


class _StreamingCursor(AsyncAdapt_aiosqlite_ss_cursor):
    """SQLAlchemy's server-side cursor (`stream()`), sending a deferred BEGIN first."""

    __slots__ = ()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        begin = self._adapt_connection.take_begin()  # type: ignore[attr-defined]
        if begin is not None:
            await self._connection.execute(begin)  # type: ignore[attr-defined]
        return await super()._execute_async(operation, parameters)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_with",)
    # Our cursors subclass SQLAlchemy's aiosqlite cursors; its stubs name the base classes.
    _cursor_cls = OneTripCursor  # type: ignore[assignment]
    _ss_cursor_cls = _StreamingCursor

    def __init__(self, dbapi: Any, connection: _DriverThread) -> None:
        super().__init__(dbapi, connection)  # type: ignore[arg-type]  # aiosqlite's is one
        self.begin_with: str | None = None

    def defer_begin(self, statement: str) -> None:
        """Begin the transaction with `statement` (BEGIN or BEGIN IMMEDIATE) just before
        its first statement, where that statement runs."""
        self.begin_with = statement

    def take_begin(self) -> str | None:
        """The deferred BEGIN, for the statement about to run; it is sent only once."""
        begin, self.begin_with = self.begin_with, None
        return begin

    def usable_here(self) -> sqlite3.Connection | None:
        """The sqlite3 connection, if nothing else is using it."""
        if self._execute_mutex.locked():
            return None
        return self._connection.usable_here()  # type: ignore[attr-defined, no-any-return]

    def commit(self) -> None:
        if self.begin_with is not None:
            self.begin_with = None  # no statement ran: nothing began, nothing to commit
            return
        dbapi: OneTripDbapi = self.dbapi  # type: ignore[assignment]
        checkpoint = dbapi.checkpoint_due()
        connection = self.usable_here()
        if connection is not None and not checkpoint:
            try:
                connection.commit()  # in WAL a writer's COMMIT waits for no lock
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    self._handle_exception(error)
        super().commit()
        if checkpoint:
            try:
                await_(self._connection._execute(_checkpoint, self._connection._conn))  # type: ignore[attr-defined]
            except Exception as error:
                self._handle_exception(error)

    def rollback(self) -> None:
        if self.begin_with is None:
            connection = self.usable_here()
            if connection is None:
                super().rollback()
            else:
                try:
                    connection.rollback()
                except Exception as error:
                    self._handle_exception(error)
        self.begin_with = None


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module to give `create_async_engine(module=…)` for aiosqlite URLs."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)
        self._commits = 0

    def checkpoint_due(self) -> bool:
        """Count a commit: whether it (every `CHECKPOINT_EVERY`th of the engine's) goes to
        the thread and checkpoints the WAL after it."""
        self._commits += 1
        return self._commits % CHECKPOINT_EVERY == 0

    def connect(self, database: Any, **kw: Any) -> OneTripConnection:
        # `timeout` (seconds, sqlite3's meaning) is how long the thread waits for a lock.
        wait_ms = int(kw.pop("timeout", 5.0) * 1000)
        kw.update(timeout=0, check_same_thread=False)  # no waiting; used from two threads
        connection = _DriverThread(partial(sqlite3.connect, database, **kw), wait_ms)
        connection._thread.daemon = True  # as SQLAlchemy's adapter does: exit never waits
        await_(connection)  # connects, on the thread
        return OneTripConnection(self, connection)
