"""smalltalk: the reply the classification call wrote for small talk, thanks or an
off-topic line (see `classify`), so such a turn costs one model call, not three.

It is a model's text resting on no tool result, so it passes the agent's guardrails and
states nothing besides (no figures, names or claims: `check_small_talk`) in the
conversation's language (`check_language`); one that fails
is dropped and the customer is asked what they need instead (chit-chat is no
reason to hand over to a person)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.guardrails import check_language, check_reply, check_small_talk
from graph.i18n import language
from graph.nodes.clarify import clarify
from graph.replies import reply
from graph.state import ConversationState


async def smalltalk(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    text = state.get("direct_reply") or ""
    verdict = check_reply(
        text,
        tool_outputs=[],
        refunded=False,
        customer_email=context.customer_email,
        max_chars=context.policy.llm.max_reply_chars,
    )
    if verdict.ok:
        names = [context.company, context.customer_name or ""]
        verdict = check_small_talk(text, names=names)
    if verdict.ok:
        verdict = check_language(
            text,
            language=language(),
            languages=context.policy.languages,
            customer_text=state.get("text", ""),
        )
    if not verdict.ok:
        context.trace.record(f"guardrail:{verdict.reason}", 0.0)
        return await clarify(state, runtime)
    return {"replies": [reply(text.strip())]}
