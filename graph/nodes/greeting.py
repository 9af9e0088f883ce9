"""greeting: hello, thanks and goodbye, with a menu of what the bot can do."""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import N_, _
from graph.replies import TALK_TO_PERSON, reply
from graph.state import ConversationState

_THANKS = re.compile(r"\b(thanks?|thank you|cheers|bye|goodbye|that'?s all|no thanks)\b", re.I)
MENU = (N_("A payment problem"), N_("Where is my order?"), TALK_TO_PERSON)
"""The menu's buttons, as English sources: offered with `_()` (`menu()`)."""


def menu() -> list[str]:
    return [_(label) for label in MENU]


async def greeting(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    if state.get("act") == "close" or _THANKS.search(state.get("text", "")):
        text = _("You're welcome! If anything else comes up, just write here.")
        return {"replies": [reply(text)], "closing": True}
    context = runtime.context
    greeting = (
        _("Hi {name}!").format(name=context.customer_name.split()[0])
        if context.customer_name
        else _("Hi!")
    )
    text = _(
        "I'm {company}'s support assistant. I can help with payments, orders, refunds and "
        "questions about our service. What can I do for you?"
    ).format(company=context.company)
    return {"replies": [reply(f"{greeting} {text}", *menu())]}
