"""cancel: "never mind", "stop", "forget it": leave every open workflow politely, and say
what was already done (a ticket opened stays open, and is named) and what was not."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import _
from graph.replies import reply
from graph.state import ConversationState


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return _("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


async def cancel(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    stack = list(state.get("stack") or [])
    did = list(dict.fromkeys(state.get("did") or []))
    topics = list(dict.fromkeys(f.get("topic") or f.get("name", "") for f in reversed(stack)))
    if not stack and not did:
        text = _("No problem, there's nothing in progress. Is there anything else I can help with?")
        return {"replies": [reply(text)], "stack": [], "did": [], "last_frame": None}
    parts = [
        _("No problem, I've stopped looking into {topics}.").format(topics=_join(topics))
        if topics
        else _("No problem.")
    ]
    if did:
        parts.append(
            _("What I already did stays in place: {did}; our team will still follow up.").format(
                did=_join(did)
            )
        )
        parts.append(_("Nothing else was changed."))
    else:
        parts.append(_("Nothing was changed on your account."))
    parts.append(_("If you need anything else, just write here."))
    return {"replies": [reply(" ".join(parts))], "stack": [], "did": [], "last_frame": None}
