"""What the agent may know of the conversation so far: a bounded window and a summary.

Bounded on purpose: the last few messages verbatim (each truncated) and one line about
everything older, so prompt size stays flat however long the conversation runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Message, Ticket, Trace
from storage.webhooks import queue_event
from tools.base import Caller, tool

MESSAGE_CHARS = 400


@dataclass(frozen=True)
class ConversationContext:
    recent: list[tuple[str, str]]
    """(role, text) of the latest messages before this one, oldest first."""
    summary: str


@tool("conversation.context", risk="read", public=True)
async def context(session: AsyncSession, caller: Caller, *, limit: int = 8) -> ConversationContext:
    """The latest messages of this conversation and a one-line summary of older turns."""
    rows = (
        await session.exec(
            select(Message)
            .where(
                Message.conversation_id == caller.conversation_id,
                col(Message.id) < caller.message_id,
            )
            .order_by(col(Message.id).desc())
            .limit(limit)
        )
    ).all()
    recent = [(str(m.role), m.text[:MESSAGE_CHARS]) for m in reversed(rows)]
    oldest_shown = min((m.id for m in rows if m.id is not None), default=caller.message_id)
    intents = (
        await session.exec(
            select(Trace.intent)
            .where(
                Trace.conversation_id == caller.conversation_id,
                col(Trace.message_id) < oldest_shown,
            )
            .distinct()
        )
    ).all()
    tickets = (
        await session.exec(
            select(Ticket.number).where(Ticket.conversation_id == caller.conversation_id)
        )
    ).all()
    parts = []
    if intents:
        parts.append("earlier topics: " + ", ".join(sorted(i for i in intents if i)))
    if tickets:
        parts.append("tickets in this conversation: " + ", ".join(tickets))
    return ConversationContext(recent, "; ".join(parts))


@tool("conversation.resolve", risk="write", public=True)
async def resolve(session: AsyncSession, caller: Caller) -> None:
    """Record that the bot resolved this conversation: the customer said goodbye after a
    request was served (a helpdesk following along is told: conversation.resolved)."""
    await queue_event(
        session,
        "conversation.resolved",
        f"conversation:{caller.conversation_id}:message:{caller.message_id}",
        conversation_id=caller.conversation_id,
        how="bot",
        by=None,
    )
