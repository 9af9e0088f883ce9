"""follow_up: "any update?", "it's still not working" right after a request that did
something (a ticket opened): answered about that request, never with "what is it about?".

A request that only looked something up is simply run again (route does that: a fresh
look is the update). One that wrote is not run twice: the customer hears where it stands
(the ticket it opened, its status read afresh for a verified customer) and is offered a
person if it cannot wait.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import N_, _
from graph.replies import NO_THANKS, TALK_TO_PERSON, reply
from graph.state import ConversationState

STATUSES = {"open": N_("open"), "pending": N_("waiting for you"), "closed": N_("closed")}
PRIORITIES = {"low": N_("low"), "normal": N_("normal"), "high": N_("high"), "urgent": N_("urgent")}


def ticket_of(variables: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ticket the workflow opened (its `ticket:` step), never an order or any other
    result that happens to have a number and a status."""
    variables = variables or {}
    opened = variables.get("_ticket")
    return opened if isinstance(opened, dict) else None


async def _fresh(runtime: Runtime[TurnContext], ticket: dict[str, Any]) -> dict[str, Any]:
    """The ticket as it is now (staff may have moved it), for a verified customer."""
    if not runtime.context.tools.verified:
        return ticket
    found = await runtime.context.tools.call("tickets.search")
    now = next((t for t in found if getattr(t, "number", None) == ticket["number"]), None)
    if now is None:
        return ticket
    return {**ticket, "status": now.status, "priority": now.priority}


async def follow_up(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    last = state.get("last_frame") or {}
    policy = runtime.context.policy
    about = state.get("asked_about") or ""
    paused = [f for f in state.get("paused") or [] if about and f.get("name") == about]
    if paused:  # route found the request staff are deciding on
        text = _(
            "About {topic}: it is waiting for our team's approval. I'll tell you right here "
            "as soon as they decide; if it can't wait, I can connect you with a person now."
        ).format(topic=paused[-1].get("topic") or policy.label_of(about))
        return {"replies": [reply(text, _(TALK_TO_PERSON), _(NO_THANKS))]}
    topic = last.get("topic") or policy.label_of(last.get("name", ""))
    ticket = ticket_of(last.get("vars"))
    if ticket is not None:
        ticket = await _fresh(runtime, ticket)
        status = str(ticket["status"])
        priority = str(ticket.get("priority") or "normal")
        text = _(
            "About {topic}: ticket {number} is {status}, with {priority} priority. Our team "
            "has it and will reply right here. I can't speed it up myself, but if it can't "
            "wait I can connect you with a person now."
        ).format(
            topic=topic,
            number=ticket["number"],
            status=_(STATUSES[status]) if status in STATUSES else status,
            priority=_(PRIORITIES[priority]) if priority in PRIORITIES else priority,
        )
    else:
        text = _(
            "About {topic}: our team has your request and will reply right here. If it "
            "can't wait, I can connect you with a person now."
        ).format(topic=topic)
    return {"replies": [reply(text, _(TALK_TO_PERSON), _(NO_THANKS))]}
