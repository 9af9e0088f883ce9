"""Sessions for reads that need no transaction around them.

On PostgreSQL a session's first statement is preceded by a BEGIN and its close by a
ROLLBACK, each a round trip of its own (psycopg sends them as separate queries): a
one-query read was three. In autocommit each statement is its own transaction, so such
a read is one round trip. SQLite sends its BEGIN with the first statement and needs
nothing here. Only for reads: a write in such a session would commit at once, alone.
Sessions bound to a connection (a sandbox's) read in the transaction already on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession


@asynccontextmanager
async def reading(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose statements each run on their own (one round trip each)."""
    async with sessions() as session:
        # A session bound to a connection joins the transaction already on it (a replay's
        # sandbox, rolled back at the end): its reads must see that transaction's rows.
        if isinstance(session.bind, AsyncEngine) and session.bind.dialect.name == "postgresql":
            await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        yield session
