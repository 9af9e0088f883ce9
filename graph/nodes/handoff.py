"""handoff: a person takes over. Ticket, human mode and a staff notice, then tell the
customer the truth about who will answer and when (graph/handover.py)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.handover import WAITING_REPLY, hand_over
from graph.i18n import _
from graph.policy import Policy
from graph.replies import reply
from graph.routes import HUMAN
from graph.state import ConversationState


def _reason(state: ConversationState, policy: Policy) -> str:
    flags = state.get("entities", {}).get("flags", [])
    # An intent the policy routes to a person is the customer asking for one.
    if "asks_for_person" in flags or policy.route_for(state.get("intent") or "") == HUMAN:
        return "customer_request"
    return f"policy:{state.get('intent') or 'unknown'}"


async def handoff(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    tools = runtime.context.tools
    urgent = "urgent" in state.get("entities", {}).get("flags", [])
    reason = _reason(state, runtime.context.policy)
    summary = (
        f"Handoff ({reason}) on {state.get('channel', '?')}: last intent "
        f"{state.get('intent') or 'unknown'}. Customer wrote: {state.get('text', '')[:300]}"
    )
    ticket = await tools.call(
        "tickets.create",
        category="support",
        priority="high" if urgent else "normal",
        summary=summary,
    )
    told = await hand_over(runtime.context, reason=reason, summary=summary, ticket=ticket)
    text = told or _(WAITING_REPLY).format(ticket=ticket.number)
    # Staff resolving it ask for the rating (switchboard/desk/slack_desk.py); route reads the answer.
    return {"replies": [reply(text)], "csat": state.get("csat") or "handoff"}
