"""Support tickets, staff notifications and handoff records."""

from __future__ import annotations

import uuid

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.idempotent import insert_once
from storage.models import Handoff, StaffNotification, Ticket
from storage.webhooks import queue_event, subscribed

TICKET_NUMBER_BASE = 1000


async def create_ticket(session: AsyncSession, ticket: Ticket) -> tuple[Ticket, bool]:
    """Create a ticket (once per idempotency key) and give it its number, e.g. SB-1001."""
    ticket.number = f"tmp-{uuid.uuid4().hex[:20]}"
    ticket, created = await insert_once(session, ticket)
    if created:
        assert ticket.id is not None
        ticket.number = f"SB-{TICKET_NUMBER_BASE + ticket.id}"
        session.add(ticket)
        await session.flush()
        await queue_event(
            session,
            "ticket.created",
            f"ticket:{ticket.id}",
            conversation_id=ticket.conversation_id,
            ticket=ticket_fields(ticket),
        )
    return ticket, created


def ticket_fields(ticket: Ticket) -> dict[str, object]:
    """A ticket as webhooks show it."""
    return {
        "number": ticket.number,
        "category": ticket.category,
        "priority": ticket.priority,
        "status": ticket.status,
        "summary": ticket.summary,
    }


async def tickets_for_customer(session: AsyncSession, customer_id: int) -> list[Ticket]:
    result = await session.exec(
        select(Ticket).where(Ticket.customer_id == customer_id).order_by(col(Ticket.id).desc())
    )
    return list(result.all())


async def tickets_for_conversation(session: AsyncSession, conversation_id: int) -> list[Ticket]:
    result = await session.exec(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(col(Ticket.id))
    )
    return list(result.all())


async def record_notification(
    session: AsyncSession, notification: StaffNotification
) -> tuple[StaffNotification, bool]:
    return await insert_once(session, notification)


async def notifications_for_conversation(
    session: AsyncSession, conversation_id: int
) -> list[StaffNotification]:
    result = await session.exec(
        select(StaffNotification)
        .where(StaffNotification.conversation_id == conversation_id)
        .order_by(col(StaffNotification.id))
    )
    return list(result.all())


async def open_handoff(session: AsyncSession, handoff: Handoff) -> tuple[Handoff, bool]:
    handoff, created = await insert_once(session, handoff)
    if created and subscribed(session, "handoff.requested"):
        await queue_event(
            session,
            "handoff.requested",
            f"handoff:{handoff.id}",
            conversation_id=handoff.conversation_id,
            handoff=await handoff_fields(session, handoff),
        )
    return handoff, created


async def handoff_fields(session: AsyncSession, handoff: Handoff) -> dict[str, object]:
    """A handoff as webhooks show it, with the ticket it is about."""
    ticket = await session.get(Ticket, handoff.ticket_id) if handoff.ticket_id else None
    return {
        "id": handoff.id,
        "reason": handoff.reason,
        "status": handoff.status,
        "assignee": handoff.assignee,
        "ticket": ticket_fields(ticket) if ticket else None,
    }


async def active_handoff(session: AsyncSession, conversation_id: int) -> Handoff | None:
    result = await session.exec(
        select(Handoff)
        .where(Handoff.conversation_id == conversation_id, Handoff.status != "resolved")
        .order_by(col(Handoff.id).desc())
    )
    return result.first()
