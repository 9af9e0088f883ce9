"""clarify: when the intent is unclear (and no LLM decides), ask; after repeated misses,
offer a person instead of looping."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import _
from graph.nodes.greeting import menu
from graph.replies import NO_THANKS, TALK_TO_PERSON, reply
from graph.state import ConversationState


async def clarify(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    attempts = state.get("clarify_attempts", 0) + 1
    limit = runtime.context.policy.escalation.clarify_attempts_before_handoff
    if attempts >= limit:
        text = _(
            "I'm sorry, I'm still not sure how to help with that. "
            "Shall I connect you with a person from our team?"
        )
        offer = reply(text, _(TALK_TO_PERSON), _(NO_THANKS))
        return {"clarify_attempts": attempts, "replies": [offer]}
    text = _(
        "Sorry, I'm not sure I understood. Is it about a payment, an order, or something else?"
    )
    return {"clarify_attempts": attempts, "replies": [reply(text, *menu())]}
