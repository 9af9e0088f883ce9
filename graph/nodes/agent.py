"""agent: the tool-using model for what no workflow covers.

A bounded loop: at most `budgets.agent_max_steps` model calls, each checked against the
token budget. The reply is checked by the guardrails before anyone sees it. Any fault,
spent budget, loop or failed check ends in an honest reply and a handoff, never silence.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langgraph.runtime import Runtime

from graph.agent_tools import run_tool_call, tool_schemas
from graph.context import TurnContext
from graph.guardrails import check_grounded, check_reply
from graph.handover import hand_over
from graph.llm import BudgetExceeded, LLMUnavailable
from graph.pii import Vault, redact_messages, restore_arguments
from graph.prompts import AGENT_SYSTEM, BUDGET_REPLY, FAULT_REPLY, SAFE_REPLY
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
        summary=f"Conversation so far: {window.summary}." if window.summary else "",
    )
    history: list[BaseMessage] = [
        HumanMessage(text) if role == "customer" else AIMessage(text)
        for role, text in window.recent
    ]
    return [SystemMessage(system), *history, HumanMessage(state.get("text", ""))]


async def _hand_over(
    context: TurnContext, state: ConversationState, template: str, reason: str
) -> dict[str, Any]:
    summary = f"Agent fallback ({reason}). Customer wrote: {state.get('text', '')[:300]}"
    ticket = await context.tools.call(
        "tickets.create", category="support", priority="normal", summary=summary
    )
    told = await hand_over(context, reason=f"agent:{reason}", summary=summary, ticket=ticket)
    context.trace.record(f"fallback:{reason}", 0.0)
    return {"replies": [reply(told or template.format(ticket=ticket.number))]}


async def agent(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    context = runtime.context
    llm = context.llm
    if state.get("budget_spent"):
        return await _hand_over(context, state, BUDGET_REPLY, "budget")
    if llm is None:
        return await _hand_over(context, state, FAULT_REPLY, "no_model")
    allowed = [
        name
        for name in context.policy.llm.agent_tools
        if context.tools.verified or name in ("kb.search", "handoff.request", "tickets.create")
    ]
    schemas = tool_schemas(allowed)
    # The model sees typed placeholders ([CARD_1]); only tools the policy entitles to a
    # type get its values back, and the customer's reply has them restored.
    vault = Vault(context.policy.pii.phone_regions)
    messages = redact_messages(await _messages(state, context), vault)
    for _ in range(context.policy.budgets.agent_max_steps):
        try:
            answer = await llm.invoke("agent", messages, tools=schemas)
        except BudgetExceeded:
            return await _hand_over(context, state, BUDGET_REPLY, "budget")
        except LLMUnavailable:
            return await _hand_over(context, state, FAULT_REPLY, "model_error")
        messages.append(answer)
        calls = [*answer.tool_calls]
        for bad in answer.invalid_tool_calls:
            messages.append(
                ToolMessage(
                    "error: the arguments were not valid JSON", tool_call_id=bad["id"] or ""
                )
            )
        if not calls and not answer.invalid_tool_calls:
            said = [vault.restore(str(m.content)) for m in messages if _conversational(m)]
            return await _finish(context, state, vault.restore(str(answer.content)), said)
        for call in calls:
            entitled = context.policy.pii.entitled.get(call["name"].replace("__", "."), [])
            arguments = restore_arguments(call["args"], vault, entitled)
            result = await run_tool_call(context, allowed, call["name"], arguments)
            messages.append(ToolMessage(vault.redact(result), tool_call_id=call["id"] or ""))
        if "handoff.request" in context.tools.calls:
            break  # a person has it now; one more call would only be a goodbye
    if "handoff.request" in context.tools.calls:
        return {
            "replies": [
                reply("I've passed this to a person from our team; they'll reply right here.")
            ]
        }
    return await _hand_over(context, state, FAULT_REPLY, "step_limit")


def _conversational(message: BaseMessage) -> bool:
    """What the customer and the bot said (not the rules, not tool results)."""
    return isinstance(message, HumanMessage | AIMessage) and not getattr(
        message, "tool_calls", None
    )


async def _finish(
    context: TurnContext, state: ConversationState, text: str, said: list[str]
) -> dict[str, Any]:
    verdict = check_reply(
        text,
        tool_outputs=context.tool_outputs,
        refunded="payments.refund" in context.tools.calls,
        customer_email=context.customer_email,
        max_chars=context.policy.llm.max_reply_chars,
    )
    if verdict.ok:
        verdict = check_grounded(text, tool_outputs=context.tool_outputs, said=said)
    if not verdict.ok:
        context.trace.record(f"guardrail:{verdict.reason}", 0.0)
        return await _hand_over(context, state, SAFE_REPLY, "guardrail")
    return {"replies": [reply(text.strip())]}
