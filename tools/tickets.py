"""Support tickets for the verified customer (built-in provider: our own tickets table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Ticket
from storage.tickets import create_ticket, tickets_for_customer
from tools.base import Caller, tool

Priority = Literal["low", "normal", "high", "urgent"]


@dataclass(frozen=True)
class TicketInfo:
    id: int
    number: str
    category: str
    priority: str
    status: str
    summary: str
    created: bool = False


def _info(ticket: Ticket, created: bool = False) -> TicketInfo:
    assert ticket.id is not None
    return TicketInfo(
        ticket.id,
        ticket.number,
        ticket.category,
        ticket.priority,
        ticket.status,
        ticket.summary,
        created,
    )


@tool("tickets.create", risk="write", public=True)
async def create(
    session: AsyncSession,
    caller: Caller,
    *,
    category: str,
    priority: Priority,
    summary: str,
    amount_cents: int | None = None,
    currency: str | None = None,
    dedupe_key: str | None = None,
) -> TicketInfo:
    """Open a support ticket for this conversation's customer. Creating the same ticket
    again in the same turn (or with the same `dedupe_key`, e.g. the same duplicate charge
    reported twice) returns the existing one."""
    # A customer's key spans their conversations; a visitor nobody verified has only this
    # conversation (one shared "customer:None" scope would show them each other's tickets).
    owner = (
        f"customer:{caller.customer_id}"
        if caller.customer_id is not None
        else f"conversation:{caller.conversation_id}"
    )
    key = f"{owner}:{dedupe_key}" if dedupe_key else caller.idempotency_key(f"ticket:{category}")
    ticket, created = await create_ticket(
        session,
        Ticket(
            number="",
            customer_id=caller.customer_id,
            conversation_id=caller.conversation_id,
            category=category,
            priority=priority,
            summary=summary[:1000],
            amount_cents=amount_cents,
            currency=currency,
            idempotency_key=key,
        ),
    )
    return _info(ticket, created)


@tool("tickets.search", risk="read")
async def search(session: AsyncSession, caller: Caller) -> list[TicketInfo]:
    """List the verified customer's tickets, newest first."""
    assert caller.customer_id is not None
    return [_info(t) for t in await tickets_for_customer(session, caller.customer_id)]
