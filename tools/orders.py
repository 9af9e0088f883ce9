"""Orders of the verified customer (demo provider: SQL tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.commerce import order_by_number, orders_for_customer
from storage.models import Order
from tools.base import Caller, tool


@dataclass(frozen=True)
class OrderInfo:
    number: str
    status: str
    total_cents: int
    currency: str
    items: str
    carrier: str | None
    tracking_number: str | None
    placed_at: datetime
    eta: datetime | None


def _info(order: Order) -> OrderInfo:
    return OrderInfo(
        number=order.number,
        status=order.status,
        total_cents=order.total_cents,
        currency=order.currency,
        items=order.items,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
        placed_at=order.placed_at,
        eta=order.eta,
    )


@tool("orders.get", risk="read")
async def get_order(session: AsyncSession, caller: Caller, *, number: str) -> OrderInfo | None:
    """Look up one of the verified customer's orders by its number. Returns nothing for an
    order that does not exist or belongs to someone else."""
    order = await order_by_number(session, number.lstrip("#"))
    if order is None or order.customer_id != caller.customer_id:
        return None
    return _info(order)


@tool("orders.recent", risk="read")
async def recent_orders(
    session: AsyncSession, caller: Caller, *, limit: int = 5
) -> list[OrderInfo]:
    """List the verified customer's most recent orders, newest first."""
    assert caller.customer_id is not None
    return [_info(o) for o in (await orders_for_customer(session, caller.customer_id))[:limit]]
