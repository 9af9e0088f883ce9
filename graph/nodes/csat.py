"""csat: the customer's 1-5 rating and optional comment, stored once per conversation.

Asked by settle after a resolved conversation; route sends the answer here. A rating is
thanked and a comment invited (optional: "No comment" ends it); the comment is stored
with the rating. Either way the question is never asked again in this conversation.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.i18n import _
from graph.replies import reply
from graph.slots import NO_COMMENT, is_no, parse_rating
from graph.state import ConversationState

COMMENT_CHARS = 1000


async def csat(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    tools = runtime.context.tools
    text = state.get("text", "").strip()
    if state.get("csat") in ("asked", "handoff"):
        score = parse_rating(text)
        assert score is not None  # route only sends ratings here
        await tools.call("csat.record", score=score)
        thanks = _("Thank you!") if score >= 4 else _("Thank you, that helps us improve.")
        more = _("Is there anything you'd like to add? (optional)")
        return {"csat": "comment", "replies": [reply(f"{thanks} {more}", _(NO_COMMENT))]}
    if is_no(text):
        return {"csat": "done", "replies": [reply(_("Thanks again, and have a good day!"))]}
    await tools.call("csat.record", comment=text[:COMMENT_CHARS])
    return {
        "csat": "done",
        "replies": [reply(_("Thank you, I've passed your comment on to our team."))],
    }
