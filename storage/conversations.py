"""Conversations: one per customer chat until it is closed."""

from __future__ import annotations

from sqlalchemy import bindparam, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation, Mode, utcnow


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


#: Statements every turn runs, built once (see storage/messages.py).
_OPEN_CONVERSATION = (
    select(Conversation)
    .where(
        col(Conversation.channel) == bindparam("channel"),
        col(Conversation.channel_chat_id) == bindparam("chat_id"),
        Conversation.mode != Mode.closed,
    )
    .order_by(col(Conversation.id).desc())
)
_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]
#: Core, not an ORM bulk update: nothing in the session to synchronise (see messages.py).
_RECORD_TURN = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
    .values(
        last_intent=func.coalesce(bindparam("intent"), _CONVERSATIONS.c.last_intent),
        language=func.coalesce(bindparam("language"), _CONVERSATIONS.c.language),
        updated_at=bindparam("now"),
    )
    .returning(_CONVERSATIONS.c.mode)
)


async def find_open_conversation(
    session: AsyncSession, *, channel: str, channel_chat_id: str
) -> Conversation | None:
    result = await session.exec(
        _OPEN_CONVERSATION, params={"channel": channel, "chat_id": channel_chat_id}
    )
    return result.first()


async def open_conversation(
    session: AsyncSession, *, channel: str, channel_chat_id: str, customer_id: int | None
) -> Conversation:
    conversation = await find_open_conversation(
        session, channel=channel, channel_chat_id=channel_chat_id
    )
    if conversation is None:
        conversation = Conversation(
            channel=channel, channel_chat_id=channel_chat_id, customer_id=customer_id
        )
        session.add(conversation)
        await session.flush()
    elif conversation.customer_id is None and customer_id is not None:
        conversation.customer_id = customer_id
        session.add(conversation)
    return conversation


async def set_mode(
    session: AsyncSession, conversation_id: int, mode: Mode, *, assignee: str | None = None
) -> Conversation:
    conversation = await session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        raise LookupError(f"conversation {conversation_id} not found")
    conversation.mode = mode
    conversation.assignee = assignee
    conversation.updated_at = utcnow()
    session.add(conversation)
    await session.flush()
    return conversation


async def record_turn(
    session: AsyncSession,
    conversation_id: int,
    *,
    intent: str | None,
    language: str | None = None,
) -> str:
    """Note a finished turn (its intent and language, if any, and the time); returns the
    conversation's mode as it is now (a turn may have handed it to a person). One
    statement."""
    result = await session.exec(
        _RECORD_TURN,
        params={
            "conversation_id": conversation_id,
            "intent": intent or None,
            "language": language,
            "now": utcnow(),
        },
    )
    return str(Mode(result.scalar_one()))
