"""The demo company's orders and charges (what the built-in `demo` providers serve).

The tools run these on most turns, so the statements are built once and bound per call
(see storage/messages.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Charge, Order

_CUSTOMER_CHARGES = select(Charge).where(col(Charge.customer_id) == bindparam("customer_id"))
_CHARGES = _CUSTOMER_CHARGES.order_by(col(Charge.created_at))
_CHARGES_SINCE = _CUSTOMER_CHARGES.where(col(Charge.created_at) >= bindparam("since")).order_by(
    col(Charge.created_at)
)
_ORDERS = (
    select(Order)
    .where(col(Order.customer_id) == bindparam("customer_id"))
    .order_by(col(Order.placed_at).desc())
)
_ORDER_BY_NUMBER = select(Order).where(col(Order.number) == bindparam("number"))
_ORDERS_BY_IDS = select(Order).where(col(Order.id).in_(bindparam("ids", expanding=True)))


async def charges_for_customer(
    session: AsyncSession, customer_id: int, *, since: datetime | None = None
) -> list[Charge]:
    if since is None:
        result = await session.exec(_CHARGES, params={"customer_id": customer_id})
    else:
        params = {"customer_id": customer_id, "since": since}
        result = await session.exec(_CHARGES_SINCE, params=params)
    return list(result.all())


async def charge_by_charge_id(
    session: AsyncSession, charge_id: str, *, for_update: bool = False
) -> Charge | None:
    query = select(Charge).where(Charge.charge_id == charge_id)
    if for_update:
        query = query.with_for_update()
    result = await session.exec(query)
    return result.first()


async def orders_for_customer(session: AsyncSession, customer_id: int) -> list[Order]:
    result = await session.exec(_ORDERS, params={"customer_id": customer_id})
    return list(result.all())


async def order_by_number(session: AsyncSession, number: str) -> Order | None:
    result = await session.exec(_ORDER_BY_NUMBER, params={"number": number})
    return result.first()


async def orders_by_ids(session: AsyncSession, ids: list[int]) -> dict[int, Order]:
    if not ids:
        return {}
    result = await session.exec(_ORDERS_BY_IDS, params={"ids": ids})
    return {order.id: order for order in result.all() if order.id is not None}
