"""respond: the single exit. Guarantees a reply and marks the message as answered."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import _
from graph.replies import TALK_TO_PERSON, reply
from graph.routes import to_workflow
from graph.state import ConversationState


async def respond(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    replies = state.get("replies") or [
        reply(
            _("Sorry, I couldn't work that out. Would you like to talk to a person?"),
            _(TALK_TO_PERSON),
        )
    ]
    update: dict[str, Any] = {
        "replies": replies,
        "handled_message_id": state.get("message_id"),
        "last_turn_at": runtime.context.clock(),
        "go": "",
    }
    if state.get("route") != to_workflow("clarify"):
        update["clarify_attempts"] = 0
    return update
