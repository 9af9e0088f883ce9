"""The demo company's orders and charges (what the built-in `demo` providers serve)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Charge, Order


async def charges_for_customer(
    session: AsyncSession, customer_id: int, *, since: datetime | None = None
) -> list[Charge]:
    query = select(Charge).where(Charge.customer_id == customer_id)
    if since is not None:
        query = query.where(col(Charge.created_at) >= since)
    result = await session.exec(query.order_by(col(Charge.created_at)))
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
    result = await session.exec(
        select(Order).where(Order.customer_id == customer_id).order_by(col(Order.placed_at).desc())
    )
    return list(result.all())


async def order_by_number(session: AsyncSession, number: str) -> Order | None:
    result = await session.exec(select(Order).where(Order.number == number))
    return result.first()


async def orders_by_ids(session: AsyncSession, ids: list[int]) -> dict[int, Order]:
    if not ids:
        return {}
    result = await session.exec(select(Order).where(col(Order.id).in_(ids)))
    return {order.id: order for order in result.all() if order.id is not None}
