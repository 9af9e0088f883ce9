"""order_status: the customer's order by number, or their latest, with tracking."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph import slots
from graph.context import TurnContext
from graph.replies import TALK_TO_PERSON, day, reply, sign_in_needed
from graph.state import ConversationState
from tools.orders import OrderInfo

SLOT = "order_number"
IN_FLIGHT = ("processing", "shipped")
_STATUS = {
    "processing": "being prepared and hasn't shipped yet",
    "shipped": "on its way",
    "delivered": "delivered",
    "cancelled": "cancelled",
}


def describe(order: OrderInfo) -> str:
    text = f"Order #{order.number} ({order.items}) is {_STATUS.get(order.status, order.status)}."
    if order.status == "shipped" and order.carrier:
        text += f" It shipped with {order.carrier}, tracking number {order.tracking_number}."
    if order.status in ("processing", "shipped") and order.eta:
        text += f" Expected delivery: {day(order.eta)}."
    return text


def _meant(recent: list[OrderInfo], infer: bool) -> OrderInfo | None:
    """The order a customer means without saying: their only one, or (when the policy
    lets it infer) the only one still on its way. Several in flight: ask."""
    if len(recent) == 1:
        return recent[0]
    in_flight = [o for o in recent if o.status in IN_FLIGHT]
    return in_flight[0] if infer and len(in_flight) == 1 else None


async def order_status(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    tools = runtime.context.tools
    if not tools.verified:
        return {"replies": [sign_in_needed("order")]}
    slot = slots.slot_policy(runtime, "order_status", SLOT)
    number = slots.value(state, SLOT)
    recent: list[OrderInfo] = await tools.call("orders.recent", limit=5)
    numbers = [o.number for o in recent]
    if number:
        order: OrderInfo | None = await tools.call("orders.get", number=number)
        if order is None:
            hint = f"I couldn't find order #{number} on your account."
            return slots.ask(state, runtime, SLOT, choices=numbers[:3], hint=hint)
        others = [n for n in numbers if n != order.number]
        stack = slots.remember(state, choices=others, **{SLOT: order.number})
        return {"replies": [reply(describe(order))], "stack": stack}
    if not recent:
        return {"replies": [reply("I don't see any orders on your account.", TALK_TO_PERSON)]}
    meant = _meant(recent, slot.infer)
    if meant is None:
        return slots.ask(state, runtime, SLOT, choices=numbers[:4])
    others = [n for n in numbers if n != meant.number]
    stack = slots.remember(state, choices=others, **{SLOT: meant.number})
    text = describe(meant)
    if others:
        text += " Did you mean a different order?"
    return {"replies": [reply(text, *(f"Order #{n}" for n in others[:3]))], "stack": stack}
