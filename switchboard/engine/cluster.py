"""One turn at a time per conversation, in one process or across replicas.

On SQLite (one process) an asyncio lock per conversation is enough. On PostgreSQL every
replica also takes a session-level advisory lock for the conversation while it works on
it, so two replicas never run turns of one conversation at the same time and the oldest
unprocessed message is always the next one, whichever replica received it. A replica
that dies releases its locks with its connections.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

LOCK_NAMESPACE = 0x5B0A  # first key of pg_advisory_lock(int, int): ours, not the app's
LOCK = text("SELECT pg_advisory_lock(:ns, :id)")
UNLOCK = text("SELECT pg_advisory_unlock(:ns, :id)")


class ConversationLocks:
    """Process-local ordering (SQLite, tests, a single replica)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def _local(self, conversation_id: int) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    @asynccontextmanager
    async def hold(self, conversation_id: int) -> AsyncIterator[None]:
        async with self._local(conversation_id):
            yield


class PostgresConversationLocks(ConversationLocks):
    """Process-local lock first (cheap), then the cluster-wide advisory lock."""

    def __init__(self, db: AsyncEngine, *, concurrent: int = 8) -> None:
        super().__init__()
        self._db = db
        # Each holder keeps one connection; bounding holders keeps the pool free for the
        # turns' own sessions (otherwise lock holders could starve them: a deadlock).
        self._slots = asyncio.Semaphore(concurrent)

    @asynccontextmanager
    async def hold(self, conversation_id: int) -> AsyncIterator[None]:
        async with self._local(conversation_id), self._slots, self._db.connect() as connection:
            # Outside a transaction: a lock and an unlock are a round trip each, where a
            # transaction around each was three (BEGIN, the call, COMMIT).
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(LOCK, {"ns": LOCK_NAMESPACE, "id": conversation_id})
            try:
                yield
            finally:
                await connection.execute(UNLOCK, {"ns": LOCK_NAMESPACE, "id": conversation_id})


def conversation_locks(db: AsyncEngine) -> ConversationLocks:
    if db.dialect.name == "postgresql":
        return PostgresConversationLocks(db)
    return ConversationLocks()
