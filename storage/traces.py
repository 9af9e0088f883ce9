"""Per-turn traces: what the graph did, which tools ran, how long each node took."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Trace


async def add_trace(session: AsyncSession, trace: Trace) -> Trace:
    session.add(trace)
    await session.flush()
    return trace


async def traces_for_conversation(session: AsyncSession, conversation_id: int) -> list[Trace]:
    result = await session.exec(
        select(Trace).where(Trace.conversation_id == conversation_id).order_by(col(Trace.id))
    )
    return list(result.all())


async def trace_for_message(session: AsyncSession, message_id: int) -> Trace | None:
    result = await session.exec(select(Trace).where(Trace.message_id == message_id))
    return result.first()


async def tokens_used(
    session: AsyncSession, *, conversation_id: int | None = None, since: datetime | None = None
) -> int:
    """LLM tokens already spent by one conversation, or by everyone since a moment."""
    query = select(func.coalesce(func.sum(Trace.tokens), 0))
    if conversation_id is not None:
        query = query.where(Trace.conversation_id == conversation_id)
    if since is not None:
        query = query.where(col(Trace.created_at) >= since)
    return int((await session.exec(query)).one())


async def handoff_turn(session: AsyncSession, conversation_id: int) -> Trace | None:
    """The turn that handed the conversation to staff (its tools include the handoff),
    else the latest turn: what a staff member correcting "the intent" means."""
    result = await session.exec(
        select(Trace)
        .where(Trace.conversation_id == conversation_id)
        .order_by(col(Trace.id).desc())
        .limit(50)
    )
    recent = list(result.all())
    handed = next((t for t in recent if "handoff.request" in t.tools), None)
    return handed or (recent[0] if recent else None)
