"""One transaction for a whole turn: what its tools write, its checkpoint, its replies,
the inbound row's status and its trace commit together, or not at all.

The transaction begins at the turn's first write, not at its start: on SQLite a write
transaction holds the database's one writer lock, and a turn mostly reads (the message,
the checkpoint, read tools) and waits (a model call) before it writes. Reads outside it
use their own short sessions; a read of something the turn wrote goes through it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import will_write

_CURRENT: ContextVar[TurnTransaction | None] = ContextVar("switchboard_turn", default=None)

#: `take_read_ahead` when nothing was read ahead for the thread.
NOT_READ: Any = object()


class TurnTransaction:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._read_ahead: dict[tuple[str, str], Any] = {}

    def read_ahead(self, thread_id: str, namespace: str, row: Any) -> None:
        """A checkpoint row (None: the thread has none) read with the turn's message, under
        the conversation's lock, so the checkpointer's first read needs no query."""
        self._read_ahead[(thread_id, namespace)] = row

    def take_read_ahead(self, thread_id: str, namespace: str) -> Any:
        """The row read ahead for this thread, once (later reads see what the turn
        wrote); `NOT_READ` if none was."""
        return self._read_ahead.pop((thread_id, namespace), NOT_READ)

    def forget_read_ahead(self) -> None:
        """The turn writes checkpoints: what was read ahead may be out of date."""
        self._read_ahead.clear()

    async def session(self) -> AsyncSession:
        """The turn's session, its write transaction begun on the first call."""
        if self._session is None:
            session = self._sessions()
            try:
                await session.begin()
                await will_write(session)
            except BaseException:
                await session.close()
                raise
            self._session = session
        return self._session

    @property
    def begun(self) -> AsyncSession | None:
        """The session if the turn has written, else None (nothing of it to read yet)."""
        return self._session

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[AsyncSession]:
        """A part of the turn that may fail alone (a tool call): its writes are undone on
        error, and the rest of the turn goes on."""
        session = await self.session()
        async with session.begin_nested():
            yield session

    @contextmanager
    def current(self) -> Iterator[None]:
        """Within this block the checkpointer, which LangGraph calls, writes in the turn."""
        token = _CURRENT.set(self)
        try:
            yield
        finally:
            _CURRENT.reset(token)

    async def commit(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            try:
                await session.commit()
            finally:
                await session.close()

    async def rollback(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            try:
                await session.rollback()
            finally:
                await session.close()


def current_turn() -> TurnTransaction | None:
    return _CURRENT.get()


@asynccontextmanager
async def turn_transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[TurnTransaction]:
    """Committed when the block ends normally, rolled back on any error."""
    turn = TurnTransaction(sessions)
    try:
        yield turn
    except BaseException:
        await turn.rollback()
        raise
    await turn.commit()
