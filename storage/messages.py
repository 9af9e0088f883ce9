"""The inbox and outbox: inbound turns and outbound replies, in one `messages` table."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

from sqlalchemy import String, and_, bindparam, func, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.idempotent import insert_once
from storage.models import (
    Conversation,
    Customer,
    Direction,
    GraphCheckpoint,
    InboundStatus,
    Message,
    Mode,
    OutboundStatus,
    Role,
    utcnow,
)
from storage.rows import column_values, insert_row


async def insert_inbound(session: AsyncSession, message: Message) -> tuple[Message, bool]:
    """Insert an inbound row; a repeated (channel, channel_message_id) returns the first."""
    assert message.channel_message_id is not None
    return await insert_once(
        session,
        message,
        col(Message.channel) == message.channel,
        col(Message.channel_message_id) == message.channel_message_id,
    )


_CONVERSATIONS = Conversation.__table__  # type: ignore[attr-defined]


@functools.cache
def _insert_into_open_conversation(dialect: str, customer_known: bool) -> Any:
    """`INSERT INTO messages … SELECT …, conversations.id FROM conversations WHERE (the
    chat's open conversation) ON CONFLICT DO NOTHING RETURNING id, conversation_id,
    (its mode)`: the look-up and the insert in one statement, built once per dialect.
    With a customer known, a conversation still without one is left to the slow path,
    which names its customer."""
    table = Message.__table__  # type: ignore[attr-defined]
    names = [c.name for c in table.columns if not c.primary_key]
    source = (
        select(
            *(
                _CONVERSATIONS.c.id
                if name == "conversation_id"
                else bindparam(name, type_=table.c[name].type)
                for name in names
            )
        )
        .where(
            _CONVERSATIONS.c.channel == bindparam("open_channel"),
            _CONVERSATIONS.c.channel_chat_id == bindparam("open_chat_id"),
            _CONVERSATIONS.c.mode != Mode.closed,
            *((_CONVERSATIONS.c.customer_id.is_not(None),) if customer_known else ()),
        )
        .order_by(_CONVERSATIONS.c.id.desc())
        .limit(1)
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Spelled out: SQLAlchemy does not correlate a subquery in RETURNING with the row.
    mode = literal_column(
        "(SELECT conversations.mode FROM conversations"
        " WHERE conversations.id = messages.conversation_id)",
        String,
    )
    return (
        insert(table)
        .from_select(names, source)
        .on_conflict_do_nothing()
        .returning(table.c.id, table.c.conversation_id, mode)
    )


async def insert_into_open_conversation(
    session: AsyncSession,
    message: Message,
    *,
    channel_chat_id: str,
    customer_id: int | None,
) -> tuple[Message, str] | None:
    """A new inbound message stored in its chat's open conversation in one statement:
    (the row, the conversation's mode). None when that is not the whole story (no open
    conversation yet, one that does not yet name the customer, or a repeated message):
    then `conversations.open_conversation` and `insert_inbound`, as before."""
    statement = _insert_into_open_conversation(
        session.get_bind().dialect.name, customer_id is not None
    )
    params = column_values(message)
    params.pop("conversation_id", None)
    params["open_channel"] = message.channel
    params["open_chat_id"] = channel_chat_id
    row = (await session.exec(statement, params=params)).first()
    if row is None:
        return None
    message.id, message.conversation_id = row[0], row[1]
    # Stored as it stands, as `insert_once` leaves a new row: later changes flush.
    make_transient_to_detached(message)
    session.add(message)
    return message, str(Mode(row[2]))


#: The per-turn statements are built once and bound per call: composing one took longer
#: than the database took to run it (measured: 0.2 ms of the event loop's time for the
#: next-turn query).
_CHECKPOINTS = GraphCheckpoint.__table__  # type: ignore[attr-defined]
_NEXT_TURN = (
    select(Message, Conversation, Customer, *_CHECKPOINTS.c)
    .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
    .join(Customer, col(Customer.id) == col(Conversation.customer_id), isouter=True)
    # The conversation's checkpoint (thread = the conversation's id, the root namespace),
    # which the turn reads first: read here, it costs no statement of its own.
    .join(
        _CHECKPOINTS,
        and_(
            _CHECKPOINTS.c.thread_id == bindparam("thread_id"),
            _CHECKPOINTS.c.checkpoint_ns == "",
        ),
        isouter=True,
    )
    .where(
        col(Message.conversation_id) == bindparam("conversation_id"),
        Message.direction == Direction.inbound,
        Message.status == InboundStatus.received,
    )
    .order_by(col(Message.id))
    .limit(1)
)
_MESSAGES = Message.__table__  # type: ignore[attr-defined]
#: Core, not an ORM bulk update: the message is never loaded in the session that marks
#: it, so there is nothing to synchronise, and the ORM's bulk path cost 0.2 ms a turn.
_MARK_INBOUND = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .values(
        status=bindparam("new_status"),
        done_at=bindparam("done_at"),
        error=bindparam("error"),
        language=func.coalesce(bindparam("language"), _MESSAGES.c.language),
    )
)


class CheckpointRow(NamedTuple):
    """A `graph_checkpoints` row as the checkpointer reads it."""

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    state_type: str
    state: bytes
    writes_type: str | None
    writes: bytes | None
    updated_at: Any


assert CheckpointRow._fields == tuple(c.name for c in _CHECKPOINTS.c)


@dataclass(frozen=True, slots=True)
class NextTurn:
    """What a turn starts from: the message, its conversation and customer, and the
    conversation's checkpoint row (None: it has none yet)."""

    message: Message
    conversation: Conversation
    customer: Customer | None
    checkpoint: CheckpointRow | None


async def next_turn(session: AsyncSession, conversation_id: int) -> NextTurn | None:
    """The oldest unprocessed inbound message with its conversation, customer and
    checkpoint: what a turn starts from, in one query."""
    result = await session.exec(
        _NEXT_TURN, params={"conversation_id": conversation_id, "thread_id": str(conversation_id)}
    )
    row = result.first()
    if row is None:
        return None
    values: tuple[Any, ...] = tuple(row)
    checkpoint = CheckpointRow._make(values[3:]) if values[3] is not None else None
    return NextTurn(values[0], values[1], values[2], checkpoint)


async def conversations_with_unprocessed_inbound(
    session: AsyncSession, *, older_than_s: float | None = None
) -> list[int]:
    query = select(Message.conversation_id).where(
        Message.direction == Direction.inbound, Message.status == InboundStatus.received
    )
    if older_than_s is not None:
        query = query.where(col(Message.created_at) < utcnow() - timedelta(seconds=older_than_s))
    result = await session.exec(query.distinct())
    return list(result.all())


async def mark_inbound(
    session: AsyncSession,
    message_id: int,
    status: InboundStatus,
    error: str | None = None,
    *,
    language: str | None = None,
) -> None:
    """The inbound message's status after its turn, and the language the turn decided
    (unchanged when None)."""
    await session.exec(
        _MARK_INBOUND,
        params={
            "message_id": message_id,
            "new_status": status,
            "done_at": utcnow(),
            "error": error,
            "language": language,
        },
    )


async def add_outbound(
    session: AsyncSession,
    *,
    conversation_id: int,
    channel: str,
    text: str,
    role: Role = Role.bot,
    quick_replies: list[str] | None = None,
    reply_to_id: int | None = None,
    delivered: bool = False,
    author: str | None = None,
) -> Message:
    """An outbox row: pending until the channel confirms it, or `delivered` at once for a
    channel that serves replies from this store (web chat)."""
    message = Message(
        conversation_id=conversation_id,
        direction=Direction.outbound,
        role=role,
        channel=channel,
        text=text,
        quick_replies=quick_replies or [],
        status=OutboundStatus.delivered if delivered else OutboundStatus.pending,
        reply_to_id=reply_to_id,
        author=author,
    )
    return await insert_row(session, message)


async def replies_to(session: AsyncSession, inbound_id: int) -> list[Message]:
    result = await session.exec(
        select(Message).where(Message.reply_to_id == inbound_id).order_by(col(Message.id))
    )
    return list(result.all())


async def last_offered(session: AsyncSession, conversation_id: int, before_id: int) -> list[str]:
    """The choices (quick replies) of the bot's newest message before `before_id`."""
    result = await session.exec(
        select(Message.quick_replies)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.outbound,
            Message.role == Role.bot,
            col(Message.id) < before_id,
        )
        .order_by(col(Message.id).desc())
        .limit(1)
    )
    return list(result.first() or [])


async def undelivered_outbound(session: AsyncSession) -> list[Message]:
    result = await session.exec(
        select(Message)
        .where(Message.direction == Direction.outbound, Message.status == OutboundStatus.pending)
        .order_by(col(Message.id))
    )
    return list(result.all())


async def mark_outbound(
    session: AsyncSession,
    message_id: int,
    status: OutboundStatus,
    *,
    channel_message_id: str | None = None,
    error: str | None = None,
) -> None:
    values: dict[str, object] = {"status": status, "done_at": utcnow(), "error": error}
    if channel_message_id is not None:
        values["channel_message_id"] = channel_message_id
    await session.exec(update(Message).where(col(Message.id) == message_id).values(**values))


async def record_sent_part(session: AsyncSession, message_id: int, sent: list[list[str]]) -> None:
    """The platform message ids of every part of an outbound reply sent so far."""
    await session.exec(update(Message).where(col(Message.id) == message_id).values(sent_parts=sent))


async def count_attempt(session: AsyncSession, message_id: int) -> None:
    await session.exec(
        update(Message)
        .where(col(Message.id) == message_id)
        .values(attempts=col(Message.attempts) + 1)
    )


async def transcript(
    session: AsyncSession, conversation_id: int, *, after_id: int = 0, limit: int = 500
) -> list[Message]:
    result = await session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id, col(Message.id) > after_id)
        .order_by(col(Message.id))
        .limit(limit)
    )
    return list(result.all())
