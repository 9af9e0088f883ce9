"""guard: refuse what the bot must not process (empty, oversized) before any work is done.

A pressed button comes back as its label in the customer's language ("Hablar con una
persona"); guard reads it as the English source label, so every rule that knows the
button (the classifier's examples, "no thanks", "no comment", yes/no) knows it in any
language.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from babel.numbers import format_decimal
from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import _, language, ngettext
from graph.nodes.faq import THANKS
from graph.nodes.greeting import MENU
from graph.replies import NO, NO_THANKS, YES, as_source, reply
from graph.slots import NO_COMMENT
from graph.state import ConversationState

BUTTONS = (*MENU, NO_THANKS, YES, NO, NO_COMMENT, THANKS)
"""The code's own buttons (English sources); a workflow's buttons are the policy's text."""


async def guard(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    deciding = bool(state.get("decision"))  # staff decided an approval: no message
    if state.get("handled_message_id") == state.get("message_id") and not deciding:
        return {}  # a resumed turn that was already answered: keep its replies
    text = (state.get("text") or "").strip()
    limit = runtime.context.max_chars
    fresh: dict[str, Any] = {
        "intent": None,
        "confidence": 0.0,
        "entities": {},
        "route": "",
        "replies": [],
        "classified_by": "local",
        "llm_failed": False,
        "direct_reply": "",
        "budget_spent": False,
    }
    if deciding:
        return fresh
    pressed = as_source(text, BUTTONS)
    if pressed is not None and pressed != text:
        fresh["text"] = pressed
    if not text:
        fresh["route"] = "guard:empty"
        fresh["replies"] = [reply(_("I can only read text for now. Please type your question."))]
    elif len(text) > limit:
        fresh["route"] = "guard:too_long"
        longer = ngettext(
            "That message is longer than {limit} character. Could you shorten it?",
            "That message is longer than {limit} characters. Could you shorten it?",
            limit,
        )
        limit_text = format_decimal(limit, locale=language())
        fresh["replies"] = [reply(longer.format(limit=limit_text))]
    return fresh


AfterGuard = Literal["classify", "route", "respond", "__end__"]
AFTER_GUARD: tuple[AfterGuard, ...] = get_args(AfterGuard)


def after_guard(state: ConversationState) -> AfterGuard:
    if state.get("decision"):
        return "route"  # nothing to classify: the paused workflow goes on
    if state.get("handled_message_id") == state.get("message_id"):
        return "__end__"
    return "respond" if state.get("route", "").startswith("guard:") else "classify"
