"""Stripe as the payments provider, through the official SDK against a fake Stripe API on
127.0.0.1: the bound customer's charges only, the seed case's duplicate found, a refund
made once per inbound message, nothing for another customer's charge or a customer
without a Stripe id, an outage reported and broken off, the key never shown."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

import tools.catalog  # noqa: F401  (registers the built-in tools)
from storage.db import create_engine, session_factory
from tests.support.callers import callers_for
from tests.support.databases import DatabaseFactory
from tests.support.fake_stripe import FakeStripe, charge, seed_case
from tools.base import NeedsApproval, ToolBox, ToolError
from tools.connectors import Connections, check_connectors, open_connectors
from tools.connectors.binding import NotAvailable
from tools.connectors.config import Providers, StripeConnector
from tools.connectors.resilience import Unavailable

IDS = {"cus_maria": {"stripe": "cus_Maria01"}, "cus_sam": {"stripe": "cus_Sam02"}}


@pytest.fixture
async def stripe_api() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe()
    seed_case(fake)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def sessions(databases: DatabaseFactory) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(databases.fresh())
    yield session_factory(engine)
    await engine.dispose()


def billing(fake: FakeStripe, **overrides: Any) -> StripeConnector:
    raw = {"kind": "stripe", "api_key": fake.api_key, "api_base": fake.url, "retries": 0}
    return StripeConnector.model_validate(raw | overrides)


@contextlib.asynccontextmanager
async def served(config: StripeConnector) -> AsyncIterator[Connections]:
    async with open_connectors(
        {"billing": config}, Providers(payments="billing"), Path(".")
    ) as connections:
        yield connections


async def test_charges_are_the_bound_customer_s_and_the_duplicate_is_found(
    sessions: async_sessionmaker[AsyncSession], stripe_api: FakeStripe
) -> None:
    callers = await callers_for(sessions, IDS)
    async with served(billing(stripe_api)) as connections:
        assert connections.catalog["payments.refund"].connector == "billing"
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        charges = await box.call("payments.list_charges")
        [duplicate] = await box.call("payments.find_duplicates")

    assert [c.charge_id for c in charges] == ["ch_m1", "ch_m2", "ch_m3", "ch_m4"]
    assert charges[0].status == "failed" and charges[0].failure_reason == "card_declined"
    assert charges[0].currency == "EUR" and charges[0].order_number == "1042"
    assert duplicate.duplicate_ids == ("ch_m4",) and duplicate.refundable_cents == 5990
    listed = [query for method, path, query in stripe_api.requests if path == "/v1/charges"]
    assert listed and all(query["customer"] == "cus_Maria01" for query in listed)
    assert box.log[0]["connector"] == "billing"


async def test_a_refund_is_made_once_per_message(
    sessions: async_sessionmaker[AsyncSession], stripe_api: FakeStripe
) -> None:
    callers = await callers_for(sessions, IDS)
    maria = callers["cus_maria"]
    async with served(billing(stripe_api)) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        with pytest.raises(NeedsApproval):
            await box.call("payments.refund", charge_id="ch_m4")
        first = await box.call_approved("payments.refund", charge_id="ch_m4")
        # The approval carried out again (a crash before it was recorded): Stripe sees the
        # same idempotency key, or the charge already refunded; no second refund.
        stripe_api.charges["ch_m4"]["refunded"] = False  # as if the first answer was lost
        again = await ToolBox(sessions, maria, connections.catalog).call_approved(
            "payments.refund", charge_id="ch_m4"
        )
        stripe_api.charges["ch_m4"]["refunded"] = True  # as it really is
        after = await ToolBox(sessions, maria, connections.catalog).call_approved(
            "payments.refund", charge_id="ch_m4"
        )

    assert first.amount_cents == 5990 and first.order_number == "1042"
    assert not first.already_refunded and not again.already_refunded
    assert after.already_refunded
    assert len(stripe_api.refunds) == 1
    posts = [q for m, p, q in stripe_api.requests if p == "/v1/refunds"]
    assert len(posts) == 2 and posts[0]["charge"] == "ch_m4"


async def test_nothing_is_refunded_for_another_customer_or_without_a_stripe_id(
    sessions: async_sessionmaker[AsyncSession], stripe_api: FakeStripe
) -> None:
    callers = await callers_for(sessions, IDS)
    async with served(billing(stripe_api)) as connections:
        maria = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        with pytest.raises(ToolError, match="no charge ch_s1 on this customer's account"):
            await maria.call_approved("payments.refund", charge_id="ch_s1")
        with pytest.raises(ToolError, match="no charge ch_nope"):
            await maria.call_approved("payments.refund", charge_id="ch_nope")
        with pytest.raises(ToolError, match="never collected"):
            await maria.call_approved("payments.refund", charge_id="ch_m1")
        before = len(stripe_api.requests)
        lee = ToolBox(sessions, callers["cus_lee"], connections.catalog)
        with pytest.raises(NotAvailable, match="not available for your account"):
            await lee.call("payments.find_duplicates")

    assert stripe_api.refunds == []
    assert len(stripe_api.requests) == before  # no call with an empty id
    assert not [p for m, p, q in stripe_api.requests if p == "/v1/refunds"]


async def test_an_outage_is_reported_and_the_breaker_opens(
    sessions: async_sessionmaker[AsyncSession], stripe_api: FakeStripe
) -> None:
    callers = await callers_for(sessions, IDS)
    config = billing(stripe_api, breaker={"failures": 2, "cooldown_s": 60})
    stripe_api.down = True
    async with served(config) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        for _ in range(2):
            with pytest.raises(Unavailable, match="Stripe answered 500"):
                await box.call("payments.list_charges")
        before = len(stripe_api.requests)
        with pytest.raises(Unavailable, match="billing is unavailable right now"):
            await box.call("payments.list_charges")
        assert len(stripe_api.requests) == before

    assert stripe_api.api_key not in str(box.log)


async def test_a_wrong_key_is_refused_without_showing_it(
    sessions: async_sessionmaker[AsyncSession], stripe_api: FakeStripe
) -> None:
    callers = await callers_for(sessions, IDS)
    wrong = "sk_test_wrong_key_0123456789"
    async with served(billing(stripe_api, api_key=wrong)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        with pytest.raises(ToolError) as refused:
            await box.call("payments.list_charges")
    assert "refused the API key" in str(refused.value)
    assert wrong not in str(refused.value) and wrong not in str(box.log)


async def test_check_reads_the_balance(stripe_api: FakeStripe) -> None:
    [ok] = await check_connectors({"billing": billing(stripe_api)}, Path("."))
    stripe_api.down = True
    [failed] = await check_connectors({"billing": billing(stripe_api)}, Path("."))

    assert ok.ok and ok.detail == "balance read (EUR)"
    assert not failed.ok and "Stripe answered 500" in failed.detail


async def test_refund_edge_cases_say_what_happened(
    sessions: async_sessionmaker[AsyncSession], stripe_api: FakeStripe
) -> None:
    callers = await callers_for(sessions, IDS)
    stripe_api.add(charge("ch_hold", "cus_Maria01", 1000, minutes_ago=30, captured=False))
    stripe_api.refunded_elsewhere.add("ch_m3")
    async with served(billing(stripe_api)) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        listed = {c.charge_id: c.status for c in await box.call("payments.list_charges")}
        with pytest.raises(ToolError, match=r"never collected \(not captured\)"):
            await box.call_approved("payments.refund", charge_id="ch_hold")
        raced = await box.call_approved("payments.refund", charge_id="ch_m3")
    async with served(billing(stripe_api, api_key="sk_test_not_it")) as connections:
        box = ToolBox(sessions, callers["cus_maria"], connections.catalog)
        with pytest.raises(ToolError, match="refused the API key"):
            await box.call_approved("payments.refund", charge_id="ch_m4")

    assert listed["ch_hold"] == "pending"  # authorised, not taken
    assert raced.already_refunded and stripe_api.refunds == []
