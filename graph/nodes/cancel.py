"""cancel: "never mind", "stop", "forget it": leave every open workflow politely, and say
what was already done (a ticket opened stays open, and is named) and what was not."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.replies import reply
from graph.state import ConversationState


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


async def cancel(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    stack = list(state.get("stack") or [])
    did = list(dict.fromkeys(state.get("did") or []))
    topics = list(dict.fromkeys(f.get("topic") or f.get("name", "") for f in reversed(stack)))
    if not stack and not did:
        text = "No problem, there's nothing in progress. Is there anything else I can help with?"
        return {"replies": [reply(text)], "stack": [], "did": [], "last_frame": None}
    parts = [f"No problem, I've stopped looking into {_join(topics)}." if topics else "No problem."]
    if did:
        parts.append(
            f"What I already did stays in place: {_join(did)}; our team will still follow up."
        )
        parts.append("Nothing else was changed.")
    else:
        parts.append("Nothing was changed on your account.")
    parts.append("If you need anything else, just write here.")
    return {"replies": [reply(" ".join(parts))], "stack": [], "did": [], "last_frame": None}
