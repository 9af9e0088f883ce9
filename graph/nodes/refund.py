"""refund_request: refunds are sensitive, so a person decides; the customer gets a ticket."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.replies import reply, sign_in_needed
from graph.state import ConversationState


async def refund_request(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    tools = runtime.context.tools
    if not tools.verified:
        return {"replies": [sign_in_needed("refund")]}
    orders = state.get("entities", {}).get("order_ids", [])
    about = f" for order #{orders[0]}" if orders else ""
    ticket = await tools.call(
        "tickets.create",
        category="refund",
        priority="normal",
        summary=f"Refund requested{about}. Customer wrote: {state.get('text', '')[:300]}",
    )
    await tools.call(
        "notify.staff",
        kind="ticket",
        text=f"Refund request {ticket.number}{about} needs review",
        ticket_id=ticket.id,
    )
    text = (
        f"Refunds are approved by our team, so I've opened ticket {ticket.number}{about}. "
        "A person will review it and reply here, usually within one business day."
    )
    return {"replies": [reply(text)]}
