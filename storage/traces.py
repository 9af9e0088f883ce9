"""Per-turn traces: what the graph did, which tools ran, how long each node took."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Trace
from storage.rows import insert_row


async def add_trace(session: AsyncSession, trace: Trace) -> Trace:
    return await insert_row(session, trace)


async def traces_for_conversation(session: AsyncSession, conversation_id: int) -> list[Trace]:
    result = await session.exec(
        select(Trace).where(Trace.conversation_id == conversation_id).order_by(col(Trace.id))
    )
    return list(result.all())


async def trace_for_message(session: AsyncSession, message_id: int) -> Trace | None:
    result = await session.exec(select(Trace).where(Trace.message_id == message_id))
    return result.first()


_TOKENS = select(func.coalesce(func.sum(Trace.tokens), 0))
#: Built once: they run before a turn's first model call (see storage/messages.py).
_CONVERSATION_TOKENS = _TOKENS.where(col(Trace.conversation_id) == bindparam("conversation_id"))
_SINCE = col(Trace.created_at) >= bindparam("since")
#: By (a conversation given, a moment given).
_TOKENS_BY_FILTER = {
    (False, False): _TOKENS,
    (False, True): _TOKENS.where(_SINCE),
    (True, False): _CONVERSATION_TOKENS,
    (True, True): _CONVERSATION_TOKENS.where(_SINCE),
}


async def tokens_used(
    session: AsyncSession, *, conversation_id: int | None = None, since: datetime | None = None
) -> int:
    """LLM tokens already spent by one conversation, or by everyone, in all or since a
    moment."""
    statement = _TOKENS_BY_FILTER[(conversation_id is not None, since is not None)]
    params = {"conversation_id": conversation_id, "since": since}
    return int((await session.exec(statement, params=params)).one())


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
