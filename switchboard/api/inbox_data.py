"""What the staff inbox reads: handoffs with staff, waiting longest first.

One query for the open handoffs with their conversation, customer and ticket, one for the
customer messages each has had since it opened (what whoever takes it must read first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Conversation,
    Customer,
    Direction,
    Handoff,
    Message,
    Mode,
    Ticket,
    utcnow,
)

LIMIT = 200


@dataclass(frozen=True)
class OpenHandoff:
    handoff_id: int
    conversation_id: int
    channel: str
    customer: str | None
    reason: str
    ticket: str | None
    assignee: str | None
    waiting_since: datetime
    waiting_s: float
    customer_messages: int
    """Customer messages since the handoff opened (kept for whoever takes it)."""
    last_customer_text: str | None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def open_handoffs(session: AsyncSession, limit: int = LIMIT) -> list[OpenHandoff]:
    rows = (
        await session.exec(
            select(Handoff, Conversation, Customer, Ticket)
            .join(Conversation, col(Conversation.id) == col(Handoff.conversation_id))
            .outerjoin(Customer, col(Customer.id) == col(Conversation.customer_id))
            .outerjoin(Ticket, col(Ticket.id) == col(Handoff.ticket_id))
            .where(Handoff.status == "open", Conversation.mode == Mode.human)
            .order_by(col(Handoff.created_at), col(Handoff.id))
            .limit(limit)
        )
    ).all()
    ids = [handoff.conversation_id for handoff, *_ in rows]
    since: dict[int, tuple[int, str | None]] = {}
    if ids:
        counted = await session.exec(
            select(Message.conversation_id, func.count(col(Message.id)), func.max(Message.id))
            .join(Handoff, col(Handoff.conversation_id) == col(Message.conversation_id))
            .where(
                col(Message.conversation_id).in_(ids),
                Message.direction == Direction.inbound,
                Handoff.status == "open",
                col(Message.created_at) >= col(Handoff.created_at),
            )
            .group_by(col(Message.conversation_id))
        )
        last_ids = {cid: (count, last) for cid, count, last in counted.all()}
        texts = dict(
            (
                await session.exec(
                    select(Message.id, Message.text).where(
                        col(Message.id).in_([last for _, last in last_ids.values()])
                    )
                )
            ).all()
        )
        since = {cid: (count, texts.get(last)) for cid, (count, last) in last_ids.items()}
    now = utcnow()
    found = []
    for handoff, conversation, customer, ticket in rows:
        assert handoff.id is not None and conversation.id is not None
        count, last = since.get(conversation.id, (0, None))
        created = _aware(handoff.created_at)
        found.append(
            OpenHandoff(
                handoff_id=handoff.id,
                conversation_id=conversation.id,
                channel=conversation.channel,
                customer=(customer.name or customer.user_id) if customer else None,
                reason=handoff.reason,
                ticket=ticket.number if ticket else None,
                assignee=conversation.assignee,
                waiting_since=created,
                waiting_s=max((now - created).total_seconds(), 0.0),
                customer_messages=count,
                last_customer_text=last,
            )
        )
    return found
