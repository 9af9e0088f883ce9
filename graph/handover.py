"""Handing a conversation to a person, honestly: what the customer is told depends on
whether anyone can answer (a staff channel or a staff account exists) and on the policy's
`handoff.hours`.

Nobody at all → no human mode (the bot keeps helping) and the customer is told so;
outside the hours → human mode, and the customer is told when people are back; otherwise
they wait for a person, who is announced when they join (switchboard/desk/handoffs.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graph.context import TurnContext
from graph.hours import when_open
from graph.i18n import N_, _

NOBODY_REPLY = N_(
    "I can't connect you with a person in this chat: nobody from our team answers here "
    "yet. I've recorded your request as ticket {ticket} so it isn't lost, and I can still "
    "help with orders, payments and refunds here."
)
CLOSED_REPLY = N_(
    "I'm connecting you with a person from our team, but nobody is in right now: we "
    "answer from {when}. Your ticket number is {ticket}. Leave your message here (and "
    "your e-mail if you'd like the answer there too); whoever takes it will see it."
)
CLOSED_NO_OPENING_REPLY = N_(
    "I'm connecting you with a person from our team, but nobody is in right now. Your "
    "ticket number is {ticket}. Leave your message here (and your e-mail if you'd like the "
    "answer there too); whoever takes it will see it."
)
WAITING_REPLY = N_(
    "I'm connecting you with a person from our team. Your ticket number is {ticket}. "
    "You're waiting for a person now; they'll reply right here in this chat, and anything "
    "you write meanwhile is kept for them."
)


async def hand_over(context: TurnContext, *, reason: str, summary: str, ticket: Any) -> str | None:
    """Open the handoff when someone can answer it. Returns what to tell the customer
    when it is not the usual "a person will reply" (nobody at all, or outside the hours);
    None when a person can take it now."""
    reachable = context.staff_reachable
    if reachable is not None and not await reachable():
        return _(NOBODY_REPLY).format(ticket=ticket.number)
    await context.tools.call("handoff.request", reason=reason, summary=summary, ticket_id=ticket.id)
    hours = context.policy.handoff.hours
    now = datetime.fromtimestamp(context.clock(), UTC)
    if hours is None or hours.is_open(now):
        return None
    opening = hours.next_opening(now)
    if opening is None:
        return _(CLOSED_NO_OPENING_REPLY).format(ticket=ticket.number)
    return _(CLOSED_REPLY).format(when=when_open(opening, now), ticket=ticket.number)
