"""The approval graph: a sensitive action waits in `interrupt()` for a person's decision.

Each approval waits on its own thread (`approval:<id>`), not on the conversation's: a
customer who keeps chatting while staff decide must neither lose the pending approval
(new input to an interrupted thread discards the interrupt) nor be blocked by it.
The checkpoint makes the wait durable: a restart resumes it where it stopped.
"""

from __future__ import annotations

from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from graph.context import TurnContext
from graph.i18n import _
from graph.replies import TALK_TO_PERSON, money, reply
from graph.state import Reply
from graph.templates import variable
from tools.base import ToolError
from tools.payments import RefundInfo


class ApprovalState(TypedDict, total=False):
    approval_id: int
    tool: str
    arguments: dict[str, Any]
    summary: str
    decision: dict[str, Any]
    """What staff decided: {"approved": bool, "decided_by": str}."""
    outcome: dict[str, Any]
    """What came of it, as a paused workflow's variable reads it: `outcome` (approved,
    denied or failed), `approved`, `decided_by`, `result` (plain data), `error`."""
    replies: list[Reply]


def describe_result(tool: str, result: Any) -> str:
    if tool == "payments.refund" and isinstance(result, RefundInfo):
        amount = money(result.amount_cents, result.currency)
        if result.order_number:
            approved = _(
                "Good news: our team approved your refund of {amount} for order #{order}, and "
                "it has been issued."
            ).format(amount=amount, order=result.order_number)
        else:
            approved = _(
                "Good news: our team approved your refund of {amount}, and it has been issued."
            ).format(amount=amount)
        back = _("It goes back to your original payment method within 5 to 10 business days.")
        return f"{approved} {back}"
    return _("Good news: our team approved your request and it has been carried out.")


async def await_decision(state: ApprovalState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    decision: dict[str, Any] = interrupt(
        {"approval_id": state["approval_id"], "summary": state.get("summary", "")}
    )
    decided_by = decision.get("decided_by", "")
    if not decision.get("approved"):
        text = _(
            "Our team reviewed your request ({summary}) and could not approve it. Would you "
            "like to talk to a person about it?"
        ).format(summary=state.get("summary") or _("a sensitive action"))
        outcome = _outcome("denied", decided_by)
        offer = reply(text, _(TALK_TO_PERSON))
        return {"decision": decision, "outcome": outcome, "replies": [offer]}
    try:
        result = await runtime.context.tools.call_approved(state["tool"], **state["arguments"])
    except ToolError as exc:
        text = _(
            "Our team approved your request, but it could not be completed ({error}). "
            "A person will follow up with you here."
        ).format(error=exc)
        outcome = _outcome("failed", decided_by, error=str(exc)[:300])
        return {"decision": decision, "outcome": outcome, "replies": [reply(text)]}
    outcome = _outcome("approved", decided_by, result=variable(result))
    replies = [reply(describe_result(state["tool"], result))]
    return {"decision": decision, "outcome": outcome, "replies": replies}


def _outcome(
    outcome: str, decided_by: str, *, result: Any = None, error: str = ""
) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "approved": outcome != "denied",
        "decided_by": decided_by,
        "result": result,
        "error": error,
    }


def build_approval_graph() -> StateGraph[ApprovalState, TurnContext, Any, Any]:
    builder: StateGraph[ApprovalState, TurnContext, Any, Any] = StateGraph(
        ApprovalState, context_schema=TurnContext
    )
    builder.add_node("approval", await_decision)
    builder.add_edge(START, "approval")
    builder.add_edge("approval", END)
    return builder
