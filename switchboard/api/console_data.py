"""What the admin console reads: filtered, keyset-paged lists over the storage tables.

Pages are keyset (`id < before`, newest first), never OFFSET, so page 500 costs what page
1 costs and rows arriving meanwhile do not shift what the next page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Approval,
    Conversation,
    Customer,
    Direction,
    Handoff,
    Message,
    Mode,
    OutboundStatus,
    Ticket,
    Trace,
)

PAGE_SIZE = 50


@dataclass(frozen=True)
class ConversationFilter:
    mode: str | None = None
    channel: str | None = None
    intent: str | None = None
    since: date | None = None
    until: date | None = None
    customer: str | None = None

    def query(self) -> dict[str, str]:
        """The filter as query-string values (for links that keep it)."""
        values = {
            "mode": self.mode,
            "channel": self.channel,
            "intent": self.intent,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "customer": self.customer,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next_key: int | None
    """The id to pass (`before`, or `after` for oldest-first lists) for the next page;
    None on the last page."""


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _page(rows: list[Any], key: Any) -> Page:
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return Page(rows, key(rows[-1]) if more and rows else None)


async def list_conversations(
    session: AsyncSession, where: ConversationFilter, *, before: int | None
) -> Page:
    """Newest first, with the customer, the number of customer turns and the last thing
    the customer wrote (one correlated lookup each on the (conversation_id, id) index)."""
    inbound = (Message.conversation_id == Conversation.id) & (
        Message.direction == Direction.inbound
    )
    turns = select(func.count(col(Message.id))).where(inbound).scalar_subquery()
    last_text = (
        select(Message.text).where(inbound).order_by(col(Message.id).desc()).limit(1)
    ).scalar_subquery()
    query = (
        select(Conversation, Customer.user_id, turns, last_text)
        .outerjoin(Customer, col(Customer.id) == Conversation.customer_id)
        .order_by(col(Conversation.id).desc())
        .limit(PAGE_SIZE + 1)
    )
    if before is not None:
        query = query.where(col(Conversation.id) < before)
    if where.mode:
        query = query.where(Conversation.mode == where.mode)
    if where.channel:
        query = query.where(Conversation.channel == where.channel)
    if where.customer:
        query = query.where(Customer.user_id == where.customer)
    if where.intent:  # any turn of the conversation, not just the latest
        query = query.where(
            exists().where(
                col(Trace.conversation_id) == Conversation.id,
                col(Trace.intent) == where.intent,
            )
        )
    if where.since:
        query = query.where(col(Conversation.created_at) >= _day_start(where.since))
    if where.until:  # inclusive: the whole `until` day
        query = query.where(
            col(Conversation.created_at) < _day_start(where.until + timedelta(days=1))
        )
    rows = list((await session.exec(query)).all())
    return _page(rows, lambda row: row[0].id)


async def channels(session: AsyncSession) -> list[str]:
    result = await session.exec(select(Conversation.channel).distinct())
    return sorted(result.all())


async def conversation_detail(
    session: AsyncSession, conversation_id: int, *, after: int, limit: int = 200
) -> dict[str, Any] | None:
    """One conversation: a page of its transcript (messages after `after`), the traces of
    those turns by inbound message id, and its tickets, approvals and handoffs."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    customer = (
        await session.get(Customer, conversation.customer_id) if conversation.customer_id else None
    )
    rows = list(
        (
            await session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id, col(Message.id) > after)
                .order_by(col(Message.id))
                .limit(limit + 1)
            )
        ).all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [m.id for m in rows if m.direction == Direction.inbound]
    traces = (
        {
            t.message_id: t
            for t in (await session.exec(select(Trace).where(col(Trace.message_id).in_(ids))))
        }
        if ids
        else {}
    )

    async def all_of(model: Any) -> list[Any]:
        result = await session.exec(
            select(model).where(model.conversation_id == conversation_id).order_by(col(model.id))
        )
        return list(result.all())

    return {
        "conversation": conversation,
        "customer": customer,
        "messages": rows,
        "traces": traces,
        "next_after": rows[-1].id if more and rows else None,
        "tickets": await all_of(Ticket),
        "approvals": await all_of(Approval),
        "handoffs": await all_of(Handoff),
    }


async def list_tickets(
    session: AsyncSession, *, status: str | None, customer: str | None, before: int | None
) -> Page:
    query = (
        select(Ticket, Customer.user_id)
        .outerjoin(Customer, col(Customer.id) == Ticket.customer_id)
        .order_by(col(Ticket.id).desc())
        .limit(PAGE_SIZE + 1)
    )
    if before is not None:
        query = query.where(col(Ticket.id) < before)
    if status:
        query = query.where(Ticket.status == status)
    if customer:
        query = query.where(Customer.user_id == customer)
    return _page(list((await session.exec(query)).all()), lambda row: row[0].id)


async def pending_approvals(session: AsyncSession, *, after: int | None) -> Page:
    """Oldest first: a queue, the customer who has waited longest is on top."""
    query = (
        select(Approval)
        .where(Approval.status == "pending")
        .order_by(col(Approval.id))
        .limit(PAGE_SIZE + 1)
    )
    if after is not None:
        query = query.where(col(Approval.id) > after)
    return _page(list((await session.exec(query)).all()), lambda row: row.id)


async def dead_letters(session: AsyncSession, *, before: int | None) -> Page:
    query = (
        select(Message)
        .where(Message.direction == Direction.outbound, Message.status == OutboundStatus.failed)
        .order_by(col(Message.id).desc())
        .limit(PAGE_SIZE + 1)
    )
    if before is not None:
        query = query.where(col(Message.id) < before)
    return _page(list((await session.exec(query)).all()), lambda row: row.id)


async def counts(session: AsyncSession) -> dict[str, int]:
    """The badges in the navigation: what waits for a person."""
    approvals = await session.exec(
        select(func.count(col(Approval.id))).where(Approval.status == "pending")
    )
    failed = await session.exec(
        select(func.count(col(Message.id))).where(
            Message.direction == Direction.outbound, Message.status == OutboundStatus.failed
        )
    )
    waiting = await session.exec(
        select(func.count(col(Handoff.id)))
        .join(Conversation, col(Conversation.id) == col(Handoff.conversation_id))
        .where(Handoff.status == "open", Conversation.mode == Mode.human)
    )
    return {
        "approvals": int(approvals.one()),
        "dead_letters": int(failed.one()),
        "inbox": int(waiting.one()),
    }
