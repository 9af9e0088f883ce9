"""agent: the tool-using model for what no workflow covers.

A bounded loop: at most `budgets.agent_max_steps` model calls, each checked against the
token budget. The reply is checked by the guardrails before anyone sees it. Any fault,
spent budget, loop or failed check ends in an honest reply and a handoff, never silence.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from graph.agent_loop import answer_with_tools
from graph.context import TurnContext
from graph.handover import hand_over
from graph.i18n import _, language
from graph.prompts import AGENT_SYSTEM, BUDGET_REPLY, FAULT_REPLY, SAFE_REPLY, answer_in
from graph.replies import reply
from graph.state import ConversationState
from tools.conversation import ConversationContext


async def _messages(state: ConversationState, context: TurnContext) -> list[BaseMessage]:
    window: ConversationContext = await context.tools.call(
        "conversation.context", limit=context.policy.llm.history_messages
    )
    identity = (
        "a signed-in, verified customer"
        if context.tools.verified
        else ("an anonymous visitor who is not signed in: account tools will refuse")
    )
    system = AGENT_SYSTEM.format(
        company=context.company,
        identity=identity,
        max_chars=context.policy.llm.max_reply_chars,
        answer_in=answer_in(language()),
        summary=f"Conversation so far: {window.summary}." if window.summary else "",
    )
    history: list[BaseMessage] = [
        HumanMessage(text) if role == "customer" else AIMessage(text)
        for role, text in window.recent
    ]
    # Asked beside a request a workflow answered: only that question is the model's.
    asked = state.get("aside") or state.get("text", "")
    return [SystemMessage(system), *history, HumanMessage(asked)]


async def _hand_over(
    context: TurnContext, state: ConversationState, template: str, reason: str
) -> dict[str, Any]:
    summary = f"Agent fallback ({reason}). Customer wrote: {state.get('text', '')[:300]}"
    ticket = await context.tools.call(
        "tickets.create", category="support", priority="normal", summary=summary
    )
    told = await hand_over(context, reason=f"agent:{reason}", summary=summary, ticket=ticket)
    context.trace.record(f"fallback:{reason}", 0.0)
    return {"replies": [reply(told or _(template).format(ticket=ticket.number))]}


async def agent(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    if state.get("budget_spent"):
        return await _hand_over(context, state, BUDGET_REPLY, "budget")
    if context.llm is None:
        return await _hand_over(context, state, FAULT_REPLY, "no_model")
    allowed = [
        name
        for name in context.policy.llm.agent_tools
        if context.tools.verified or name in ("kb.search", "handoff.request", "tickets.create")
    ]
    if context.staff_reachable is not None and not await context.staff_reachable():
        # Nobody could take it: the model must not promise a person (graph/handover.py).
        allowed = [name for name in allowed if name != "handoff.request"]
    answer = await answer_with_tools(
        context,
        await _messages(state, context),
        allowed,
        max_steps=context.policy.budgets.agent_max_steps,
    )
    if answer.text is not None:
        return {"replies": [reply(answer.text)], "aside": ""}
    if answer.failure == "handed_over":
        return {
            "replies": [
                reply(_("I've passed this to a person from our team; they'll reply right here."))
            ]
        }
    templates = {"budget": BUDGET_REPLY, "guardrail": SAFE_REPLY}
    failure = answer.failure or "model_error"
    return await _hand_over(context, state, templates.get(failure, FAULT_REPLY), failure)
