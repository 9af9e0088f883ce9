"""SQLAlchemy's aiosqlite driver, one trip to the driver thread per statement.

aiosqlite runs every sqlite3 call on its own thread and hands each result back through
the event loop. SQLAlchemy's adapter makes four such trips per statement (open a cursor,
execute, fetch, close); each costs the event loop a future, a wake-up and a callback,
which under load was a larger share of a turn than SQLite's own work. Here a statement
is executed, fetched and closed in one function on the driver thread, and a
transaction's BEGIN travels with its first statement (`defer_begin`). A writer holds
SQLite's write lock from its BEGIN to its COMMIT, and every trip in between waits for the
event loop to come round again, so fewer trips mean shorter turns at the lock, too.
Everything else (connections, transactions, errors, server-side cursors) is SQLAlchemy's
own adapter.
"""

from __future__ import annotations

import collections
import sqlite3
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


class _Finished:
    """What a closed sqlite3 cursor leaves for SQLAlchemy to read."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(self, cursor: sqlite3.Cursor | None = None) -> None:
        self.description = cursor.description if cursor else None
        self.rowcount = cursor.rowcount if cursor else -1
        self.lastrowid = cursor.lastrowid if cursor else None
        self.arraysize = 1

    async def close(self) -> None:
        """Already closed on the driver thread."""


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool, begin: str | None
) -> tuple[_Finished, list[Any] | None]:
    """On the driver thread: begin (if the transaction has not yet), execute, fetch every
    row, close."""
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


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor (opening one was a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Finished()  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapted = self._adapt_connection
        async with adapted._execute_mutex:
            begin = adapted.take_begin()  # type: ignore[attr-defined]
            connection = self._connection
            finished, rows = await connection._execute(  # type: ignore[attr-defined]
                _run, connection._conn, operation, parameters, many, begin
            )
        self._cursor = finished  # type: ignore[assignment]
        self._rows = collections.deque(rows or ())

    def close(self) -> None:
        self._rows.clear()  # the sqlite3 cursor closed on the driver thread

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, many=True)


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

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)  # type: ignore[arg-type]  # aiosqlite's is one
        self.begin_with: str | None = None

    def defer_begin(self, statement: str) -> None:
        """Begin the transaction with `statement` (BEGIN or BEGIN IMMEDIATE) just before
        its first statement, in the same trip."""
        self.begin_with = statement

    def take_begin(self) -> str | None:
        """The deferred BEGIN, for the statement about to run; it is sent only once."""
        begin, self.begin_with = self.begin_with, None
        return begin

    def commit(self) -> None:
        if self.begin_with is None:
            super().commit()
        self.begin_with = None  # no statement ran: nothing began, nothing to commit

    def rollback(self) -> None:
        if self.begin_with is None:
            super().rollback()
        self.begin_with = None


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module to give `create_async_engine(module=…)` for aiosqlite URLs."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's adapter does: exit never waits
        return OneTripConnection(self, await_(connection))
