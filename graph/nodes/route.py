"""route: the policy picks workflow, agent or human; escalation rules may override it."""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.state import ConversationState

Step = Literal[
    "billing_issue",
    "order_status",
    "refund_request",
    "faq",
    "greeting",
    "clarify",
    "handoff",
    "agent",
]
STEPS: tuple[Step, ...] = (
    "billing_issue",
    "order_status",
    "refund_request",
    "faq",
    "greeting",
    "clarify",
    "agent",
)


def _unclear(state: ConversationState, runtime: Runtime[TurnContext]) -> str:
    """Nobody is sure what the customer wants: the agent if a model works, else ask."""
    if state.get("budget_spent"):
        return "agent"  # it tells the customer honestly and hands over
    if runtime.context.llm is not None and not state.get("llm_failed"):
        return "agent"
    return "workflow:clarify"


async def route(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    policy = context.policy
    flags = state.get("entities", {}).get("flags", [])
    intent = state.get("intent") or ""
    if "asks_for_person" in flags:
        return {"route": "human"}
    understood = state.get("classified_by") == "llm" or (
        state.get("confidence", 0.0) >= policy.classifier.threshold
    )
    if not understood or intent not in policy.intents:
        return {"route": _unclear(state, runtime)}
    decided = policy.route_for(intent)
    escalate = (
        (context.customer_vip and policy.escalation.vip_to_human)
        or ("urgent" in flags and policy.escalation.urgent_to_human)
        or ("negative_sentiment" in flags and policy.llm.negative_sentiment_to_human)
    )
    if escalate:
        decided = "human"
    if decided == "agent":
        decided = _unclear(state, runtime)
    return {"route": decided}


def next_step(state: ConversationState) -> Step:
    decided = state.get("route", "")
    if decided == "human":
        return "handoff"
    name = decided.partition(":")[2] or decided
    for step in STEPS:
        if name == step:
            return step
    return "clarify"
