"""route: the policy picks workflow, agent or human; escalation rules may override it."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.state import ConversationState

Step = Literal[
    "billing_issue", "order_status", "refund_request", "faq", "greeting", "clarify", "handoff"
]


async def route(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    policy = context.policy
    flags = state.get("entities", {}).get("flags", [])
    intent = state.get("intent") or ""
    if "asks_for_person" in flags:
        return {"route": "human"}
    if state.get("confidence", 0.0) < policy.classifier.threshold:
        return {"route": "workflow:clarify"}
    decided = policy.route_for(intent)
    escalate = (context.customer_vip and policy.escalation.vip_to_human) or (
        "urgent" in flags and policy.escalation.urgent_to_human
    )
    if escalate:
        decided = "human"
    if decided == "agent":
        decided = "workflow:clarify"  # no model configured: ask rather than guess
    return {"route": decided}


def next_step(state: ConversationState) -> Step:
    decided = state.get("route", "")
    if decided == "human":
        return "handoff"
    name = decided.partition(":")[2]
    steps: tuple[Step, ...] = (
        "billing_issue",
        "order_status",
        "refund_request",
        "faq",
        "greeting",
        "clarify",
    )
    for step in steps:
        if name == step:
            return step
    return "clarify"
