"""Where a replayed conversation runs: one database transaction that is rolled back.

Every session the turn machinery opens joins that transaction as a savepoint, so tools
read the real local data and their writes (tickets, approvals, staff notices, handoffs)
are visible to the rest of the replayed conversation, then vanish: nothing is committed.

Before the first turn, what this conversation itself left behind is taken away inside
the transaction (its tickets, handoffs, approvals, notices, CSAT, staff thread and traces;
its mode and language reset; the replay writes its own traces as it goes): the replay starts the conversation as the bot first met it, and a
"this is already being handled in ticket X" reply does not come from its own first run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession as SQLModelSession

from storage.db import WRITES
from storage.models import (
    Approval,
    Conversation,
    CsatResponse,
    Handoff,
    IntentCorrection,
    Mode,
    StaffNotification,
    StaffThread,
    Ticket,
    Trace,
)


class Sandbox:
    """One connection for the whole replay; each conversation in its own transaction on
    it, always rolled back. `sessions` join that transaction as savepoints."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self.sessions = async_sessionmaker(
            bind=connection,
            class_=SQLModelSession,
            expire_on_commit=False,
            join_transaction_mode="create_savepoint",
        )

    @asynccontextmanager
    async def conversation(self) -> AsyncIterator[None]:
        outer = await self._connection.begin()
        try:
            yield
        finally:
            await outer.rollback()


@asynccontextmanager
async def rolled_back(db: AsyncEngine) -> AsyncIterator[Sandbox]:
    async with db.connect() as connection:
        # SQLite: begin IMMEDIATE (the transaction writes; see storage/db.py).
        await connection.execution_options(**{WRITES: True})
        yield Sandbox(connection)


async def forget_own_effects(session: AsyncSession, conversation_id: int) -> None:
    """Take away what the conversation's first run left (inside the rolled-back
    transaction only)."""
    tickets = select(Ticket.id).where(Ticket.conversation_id == conversation_id)
    approvals = select(Approval.id).where(Approval.conversation_id == conversation_id)
    await session.execute(
        delete(StaffNotification).where(
            or_(
                col(StaffNotification.conversation_id) == conversation_id,
                col(StaffNotification.ticket_id).in_(tickets),
                col(StaffNotification.approval_id).in_(approvals),
            )
        )
    )
    await session.execute(
        delete(Handoff).where(
            or_(
                col(Handoff.conversation_id) == conversation_id, col(Handoff.ticket_id).in_(tickets)
            )
        )
    )
    traced = select(Trace.id).where(Trace.conversation_id == conversation_id)
    await session.execute(
        delete(IntentCorrection).where(col(IntentCorrection.trace_id).in_(traced))
    )
    for table in (Approval, Ticket, CsatResponse, StaffThread, Trace):
        await session.execute(delete(table).where(col(table.conversation_id) == conversation_id))
    await session.execute(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id)
        .values(mode=Mode.bot, assignee=None, last_intent=None, language=None)
    )
