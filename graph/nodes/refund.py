"""refund_request: refunds are sensitive, so a person approves them. A duplicate charge or
a named order becomes a concrete refund waiting for approval; otherwise ask which order."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph import slots
from graph.context import TurnContext
from graph.replies import TALK_TO_PERSON, money, reply, sign_in_needed
from graph.state import ConversationState
from tools.orders import OrderInfo
from tools.payments import ChargeInfo, DuplicateCharge

SLOT = "order_number"


async def refund_request(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    tools = runtime.context.tools
    if not tools.verified:
        return {"replies": [sign_in_needed("refund")]}
    number = slots.value(state, SLOT)
    duplicates: list[DuplicateCharge] = await tools.call("payments.find_duplicates")
    if duplicates and not number:
        duplicate = duplicates[0]
        order = f"order #{duplicate.order_number}" if duplicate.order_number else "a purchase"
        amount = money(duplicate.amount_cents, duplicate.currency)
        return await _ask_approval(
            runtime, duplicate.duplicate_ids[0], f"refund {amount} duplicate charge on {order}"
        )
    recent: list[OrderInfo] = await tools.call("orders.recent", limit=3)
    numbers = [o.number for o in recent]
    if number:
        charges: list[ChargeInfo] = await tools.call("payments.list_charges")
        paid = [c for c in charges if c.order_number == number and c.status == "succeeded"]
        if paid:
            amount = money(paid[-1].amount_cents, paid[-1].currency)
            others = [n for n in numbers if n != number]
            done = await _ask_approval(
                runtime, paid[-1].charge_id, f"refund {amount} for order #{number}"
            )
            return {**done, "stack": slots.remember(state, choices=others, **{SLOT: number})}
        hint = (
            f"I couldn't find a payment for order #{number} on your account that can be refunded."
        )
        return slots.ask(state, runtime, SLOT, choices=numbers, hint=hint)
    if not recent:
        text = "I don't see any orders on your account that could be refunded."
        return {"replies": [reply(text, TALK_TO_PERSON)]}
    return slots.ask(state, runtime, SLOT, choices=numbers)


async def _ask_approval(
    runtime: Runtime[TurnContext], charge_id: str, summary: str
) -> dict[str, Any]:
    approval_id: int = await runtime.context.tools.call(
        "approvals.request",
        tool_name="payments.refund",
        arguments={"charge_id": charge_id},
        summary=summary,
    )
    runtime.context.trace.approvals.append(approval_id)
    text = (
        f"I've asked our team to approve this: {summary}. "
        "I'll tell you here as soon as they decide."
    )
    return {"replies": [reply(text)], "did": [f"the approval request to {summary}"]}
