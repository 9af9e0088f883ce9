"""order_status: the customer's order by number, or their latest, with tracking."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph.context import TurnContext
from graph.replies import TALK_TO_PERSON, day, reply, sign_in_needed
from graph.state import ConversationState
from tools.orders import OrderInfo

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


async def order_status(state: ConversationState, runtime: Runtime[TurnContext]) -> dict[str, Any]:
    tools = runtime.context.tools
    if not tools.verified:
        return {"replies": [sign_in_needed("order")]}
    numbers = state.get("entities", {}).get("order_ids", [])
    recent: list[OrderInfo] = await tools.call("orders.recent", limit=5)
    choices = [f"Order #{o.number}" for o in recent]
    if numbers:
        order: OrderInfo | None = await tools.call("orders.get", number=numbers[0])
        if order is None:
            text = f"I couldn't find order #{numbers[0]} on your account."
            if recent:
                text += " Which of your orders do you mean?"
            return {"replies": [reply(text, *choices[:3], TALK_TO_PERSON)]}
        return {"replies": [reply(describe(order))]}
    if not recent:
        return {"replies": [reply("I don't see any orders on your account.", TALK_TO_PERSON)]}
    text = describe(recent[0])
    if len(recent) > 1:
        text += " Did you mean a different order?"
        return {"replies": [reply(text, *choices[1:4])]}
    return {"replies": [reply(text)]}
