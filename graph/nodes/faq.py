"""faq: answer from the knowledge base and name the article the answer comes from."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.replies import TALK_TO_PERSON, reply
from graph.state import ConversationState
from storage.kb import ArticleHit


async def faq(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    hits: list[ArticleHit] = await runtime.context.tools.call(
        "kb.search", query=state.get("text", ""), limit=1
    )
    if not hits:
        return {
            "replies": [
                reply(
                    "I couldn't find an answer to that in our help centre. "
                    "Would you like to ask a person from our team?",
                    TALK_TO_PERSON,
                )
            ]
        }
    article = hits[0]
    text = f"From our help centre article “{article.title}”: {article.body}"
    if article.url:
        text += f"\nRead more: {article.url}"
    return {"replies": [reply(text, "That helped, thanks", TALK_TO_PERSON)]}
