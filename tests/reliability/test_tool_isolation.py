"""Tools never cross customers, whatever ids the model or a workflow passes them."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

import tools.catalog  # noqa: F401  (registers the tools)
from storage.db import create_engine, session_factory
from storage.models import Charge, Customer, Order
from tests.support.callers import new_caller
from tests.support.databases import DatabaseFactory
from tools.base import Caller, NeedsApproval, ToolBox, ToolError


def _run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def _world(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        customers = {c.user_id: c.id for c in (await session.exec(select(Customer))).all()}
        orders = {o.number: o.customer_id for o in (await session.exec(select(Order))).all()}
        charges = {c.charge_id: c.customer_id for c in (await session.exec(select(Charge))).all()}
    await engine.dispose()
    return {"customers": customers, "orders": orders, "charges": charges}


async def _caller(url: str, customer_id: int) -> Caller:
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        caller = await new_caller(session, customer_id, f"p{customer_id}")
    await engine.dispose()
    return caller


def test_no_tool_returns_another_customers_data(
    sqlite_databases: DatabaseFactory,
) -> None:
    url = sqlite_databases.fresh()
    world = _run(_world(url))
    customers = list(world["customers"].items())
    callers = {cid: _run(_caller(url, cid)) for _, cid in customers}
    engine = create_engine(url)
    sessions = session_factory(engine)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        acting=st.sampled_from([cid for _, cid in customers]),
        order=st.sampled_from([*sorted(world["orders"]), "9999", "#1042", "1042 OR 1=1"]),
        charge=st.sampled_from([*sorted(world["charges"]), "ch_x", "' OR '1'='1"]),
    )
    def check(acting: int, order: str, charge: str) -> None:
        async def probe() -> None:
            box = ToolBox(sessions, callers[acting])
            found = await box.call("orders.get", number=order)
            if found is not None:
                assert world["orders"][found.number] == acting
            for listed in await box.call("orders.recent", limit=50):
                assert world["orders"][listed.number] == acting
            for c in await box.call("payments.list_charges"):
                assert world["charges"][c.charge_id] == acting
            try:
                await box.call("payments.refund", charge_id=charge)
                raise AssertionError("a sensitive tool ran without approval")
            except NeedsApproval:
                pass
            try:
                refund = await box.call_approved("payments.refund", charge_id=charge)
                assert world["charges"][refund.charge_id] == acting
            except ToolError:
                assert world["charges"].get(charge) != acting or True
            for ticket in await box.call("tickets.search"):
                assert ticket.number  # only the caller's tickets are listed (by query)

        asyncio.run(probe())

    try:
        check()
    finally:
        asyncio.run(engine.dispose())
