"""Orders of the verified customer.

Where they live is a provider (`OrdersProvider`): the demo company's SQL tables
(`SqlOrders`) by default. The tools and what workflows read from them are the same for all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.commerce import order_by_number, orders_for_customer
from storage.models import Order
from tools.base import REGISTRY, Caller, ToolSpec


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


class OrdersProvider(Protocol):
    """Where the verified customer's orders are read."""

    async def order(self, session: AsyncSession, caller: Caller, number: str) -> OrderInfo | None:
        """One of the customer's orders; None for one that is not theirs or does not exist."""
        ...

    async def recent(self, session: AsyncSession, caller: Caller, limit: int) -> list[OrderInfo]:
        """The customer's most recent orders, newest first."""
        ...


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


class SqlOrders:
    """The demo provider: the demo company's `orders` table."""

    async def order(self, session: AsyncSession, caller: Caller, number: str) -> OrderInfo | None:
        order = await order_by_number(session, number)
        if order is None or order.customer_id != caller.customer_id:
            return None
        return _info(order)

    async def recent(self, session: AsyncSession, caller: Caller, limit: int) -> list[OrderInfo]:
        assert caller.customer_id is not None
        return [_info(o) for o in (await orders_for_customer(session, caller.customer_id))[:limit]]


def order_tools(provider: OrdersProvider, connector: str | None = None) -> dict[str, ToolSpec]:
    """The orders tools served by `provider` (`connector` names it in traces)."""

    async def get_order(session: AsyncSession, caller: Caller, *, number: str) -> OrderInfo | None:
        """Look up one of the verified customer's orders by its number. Returns nothing for
        an order that does not exist or belongs to someone else."""
        return await provider.order(session, caller, number.lstrip("#"))

    async def recent_orders(
        session: AsyncSession, caller: Caller, *, limit: int = 5
    ) -> list[OrderInfo]:
        """List the verified customer's most recent orders, newest first."""
        return await provider.recent(session, caller, limit)

    specs = [
        ToolSpec("orders.get", "read", False, get_order, connector=connector),
        ToolSpec("orders.recent", "read", False, recent_orders, connector=connector),
    ]
    return {spec.name: spec for spec in specs}


REGISTRY.update(order_tools(SqlOrders()))
