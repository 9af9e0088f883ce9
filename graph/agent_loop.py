"""The agent's bounded tool loop, shared by the `agent` node and a written workflow's
`agent` step: at most `max_steps` model calls, each checked against the token budget; the
answer is checked by the guardrails before anyone sees it. It returns a checked answer or
why there is none; the caller decides what the customer is told then. An answer in
another language than the conversation's is asked for again once, in the right one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from graph.agent_tools import run_tool_call, tool_schemas
from graph.context import TurnContext
from graph.guardrails import check_grounded, check_reply, other_language
from graph.i18n import language
from graph.language import language_name
from graph.llm import BudgetExceeded, LLMUnavailable
from graph.pii import Vault, redact_messages, restore_arguments
from graph.prompts import RETRY_IN

Failure = Literal["no_model", "budget", "model_error", "step_limit", "guardrail", "handed_over"]


@dataclass(frozen=True)
class AgentAnswer:
    text: str | None = None
    """The answer, checked; None when there is none."""
    failure: Failure | None = None


async def answer_with_tools(
    context: TurnContext, messages: list[BaseMessage], allowed: list[str], *, max_steps: int
) -> AgentAnswer:
    llm = context.llm
    if llm is None:
        return AgentAnswer(failure="no_model")
    schemas = tool_schemas(context, allowed)
    # The model sees typed placeholders ([CARD_1]); only tools the policy entitles to a
    # type get its values back, and the customer's reply has them restored.
    vault = Vault(context.policy.pii.phone_regions)
    messages = redact_messages(messages, vault)
    retried = False
    # The customer's message: a reply in the language they just wrote in is fine too.
    customer = next((str(m.content) for m in reversed(messages) if type(m) is HumanMessage), "")
    for _ in range(max_steps):
        try:
            answer = await llm.invoke("agent", messages, tools=schemas)
        except BudgetExceeded:
            return AgentAnswer(failure="budget")
        except LLMUnavailable:
            return AgentAnswer(failure="model_error")
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
            text = vault.restore(str(answer.content))
            wrong = _wrong_language(context, text, customer)
            if wrong and not retried:
                retried = True
                context.trace.record(f"guardrail:retry:reply in {wrong}, not {language()}", 0.0)
                retry = RETRY_IN.format(
                    language=language_name(language()), other=language_name(wrong)
                )
                messages.append(HumanMessage(retry))
                continue
            return _checked(context, text, said, wrong)
        for call in calls:
            entitled = context.policy.pii.entitled.get(call["name"].replace("__", "."), [])
            arguments = restore_arguments(call["args"], vault, entitled)
            result = await run_tool_call(context, allowed, call["name"], arguments)
            messages.append(ToolMessage(vault.redact(result), tool_call_id=call["id"] or ""))
        if "handoff.request" in context.tools.calls:
            return AgentAnswer(failure="handed_over")  # one more call would be a goodbye
    return AgentAnswer(failure="step_limit")


def _conversational(message: BaseMessage) -> bool:
    """What the customer and the bot said (not the rules, not tool results)."""
    return isinstance(message, HumanMessage | AIMessage) and not getattr(
        message, "tool_calls", None
    )


def _wrong_language(context: TurnContext, text: str, customer: str) -> str | None:
    """The other language `text` is written in, or None when it is the conversation's."""
    return other_language(
        text, language=language(), languages=context.policy.languages, customer_text=customer
    )


def _checked(
    context: TurnContext, text: str, said: list[str], wrong: str | None = None
) -> AgentAnswer:
    if wrong:
        context.trace.record(f"guardrail:reply in {wrong}, not {language()}", 0.0)
        return AgentAnswer(failure="guardrail")
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
        return AgentAnswer(failure="guardrail")
    return AgentAnswer(text=text.strip())
