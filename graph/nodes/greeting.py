"""greeting: hello, thanks and goodbye, with a menu of what the bot can do."""

from __future__ import annotations

import re
from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.replies import TALK_TO_PERSON, reply
from graph.state import ConversationState

_THANKS = re.compile(r"\b(thanks?|thank you|cheers|bye|goodbye|that'?s all|no thanks)\b", re.I)
MENU = ("A payment problem", "Where is my order?", TALK_TO_PERSON)


async def greeting(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    if _THANKS.search(state.get("text", "")):
        text = "You're welcome! If anything else comes up, just write here."
        return {"replies": [reply(text)], "closing": True}
    context = runtime.context
    name = f" {context.customer_name.split()[0]}" if context.customer_name else ""
    text = (
        f"Hi{name}! I'm {context.company}'s support assistant. I can help with payments, "
        "orders, refunds and questions about our service. What can I do for you?"
    )
    return {"replies": [reply(text, *MENU)]}
