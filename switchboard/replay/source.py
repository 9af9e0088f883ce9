"""The stored traffic a replay reads: conversations in id order, a page at a time (keyset),
each with its customer messages, their traces and the replies they got.

Only one conversation's turns are in memory at once, so a replay of a month costs the
memory of its longest conversation, not of the month.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Conversation, Customer, Direction, InboundStatus, Message, Role, Trace

#: Conversations read per query.
PAGE = 100


@dataclass(frozen=True)
class StoredTurn:
    """One customer message and what the bot did with it (no trace: it was no bot turn)."""

    message: Message
    trace: Trace | None
    replies: list[str] = field(default_factory=list)

    @property
    def skipped_because(self) -> str | None:
        """Why this message was no bot turn: relayed to a person, throttled, not yet run."""
        if self.trace is not None:
            return None
        if self.message.status == InboundStatus.processed:
            return "with a person"
        return str(self.message.status)


@dataclass(frozen=True)
class StoredConversation:
    conversation: Conversation
    customer: Customer | None
    turns: list[StoredTurn]

    @property
    def id(self) -> int:
        assert self.conversation.id is not None
        return self.conversation.id


@dataclass(frozen=True)
class Selection:
    """Which conversations to replay: those with a customer message since `since`."""

    since: datetime | None = None
    channel: str | None = None
    limit: int | None = None
    """At most this many conversations."""


async def stored_conversations(
    sessions: async_sessionmaker[AsyncSession], selection: Selection, *, page: int = PAGE
) -> AsyncIterator[StoredConversation]:
    """Each selected conversation, from its first message, in id order."""
    after, left = 0, selection.limit
    while left is None or left > 0:
        size = page if left is None else min(page, left)
        async with sessions() as session:
            ids = await _page_of_ids(session, selection, after, size)
        for conversation_id in ids:
            async with sessions() as session:
                stored = await _conversation(session, conversation_id)
            if stored is not None:
                yield stored
        if len(ids) < size:
            return
        after = ids[-1]
        if left is not None:
            left -= len(ids)


async def _page_of_ids(
    session: AsyncSession, selection: Selection, after: int, size: int
) -> list[int]:
    inbound = select(Message.conversation_id).where(Message.direction == Direction.inbound)
    if selection.since is not None:
        inbound = inbound.where(col(Message.created_at) >= selection.since)
    query = select(Conversation.id).where(
        col(Conversation.id) > after, col(Conversation.id).in_(inbound)
    )
    if selection.channel is not None:
        query = query.where(Conversation.channel == selection.channel)
    result = await session.exec(query.order_by(col(Conversation.id)).limit(size))
    return [int(i) for i in result.all() if i is not None]


async def _conversation(session: AsyncSession, conversation_id: int) -> StoredConversation | None:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    customer = (
        await session.get(Customer, conversation.customer_id)
        if conversation.customer_id is not None
        else None
    )
    rows = (
        await session.exec(
            select(Message, Trace)
            .join(Trace, col(Trace.message_id) == col(Message.id), isouter=True)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.inbound,
                Message.role == Role.customer,
            )
            .order_by(col(Message.id))
        )
    ).all()
    replies: dict[int, list[str]] = {}
    outbound = await session.exec(
        select(Message.reply_to_id, Message.text)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.outbound,
            col(Message.reply_to_id).is_not(None),
        )
        .order_by(col(Message.id))
    )
    for reply_to, text in outbound.all():
        if reply_to is not None:
            replies.setdefault(reply_to, []).append(text)
    turns = [
        StoredTurn(message, trace, replies.get(message.id or 0, [])) for message, trace in rows
    ]
    return StoredConversation(conversation, customer, turns)
