"""The seed case with the payments in Stripe (`providers: {payments: billing}`), through
the web chat on both databases: the same written workflow, the same high-priority ticket
and reply, the duplicate found in the customer's Stripe charges by the official SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from sqlmodel import select

from storage.db import create_engine, session_factory, transaction
from storage.models import Customer
from switchboard.settings import DEFAULT_POLICY
from tests.conftest import make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.fake_stripe import FakeStripe, seed_case
from tests.support.server import run_server

SEED = "My payment failed twice, but I was still charged. I need this fixed today."


@pytest.fixture
async def stripe_api() -> AsyncIterator[FakeStripe]:
    fake = FakeStripe()
    seed_case(fake)
    await fake.start()
    yield fake
    await fake.stop()


async def _link_maria(url: str) -> None:
    engine = create_engine(url)
    async with transaction(session_factory(engine)) as session:
        maria = (await session.exec(select(Customer).where(Customer.user_id == "cus_maria"))).one()
        maria.external_ids = {"stripe": "cus_Maria01"}
        session.add(maria)
    await engine.dispose()


async def test_the_seed_case_on_stripe(
    databases: DatabaseFactory,
    stripe_api: FakeStripe,
    tmp_path: Path,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["connectors"] = {
        "billing": {
            "kind": "stripe",
            "api_key": "${STRIPE_API_KEY}",
            "api_base": "${STRIPE_API_BASE:-}",
            "customer_ref": "stripe",
        }
    }
    policy["providers"] = {"payments": "billing"}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("STRIPE_API_KEY", stripe_api.api_key)
    monkeypatch.setenv("STRIPE_API_BASE", stripe_api.url)
    url = databases.fresh()
    await _link_maria(url)

    async with run_server(make_settings(url, SWITCHBOARD_POLICY=str(path))) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            turn = await (await open_webchat(http, "cus_maria")).say(SEED)
            tickets = (
                await http.get(
                    "/api/admin/tickets", params={"customer": "cus_maria"}, headers=admin_headers
                )
            ).json()["tickets"]
            detail = (
                await http.get(
                    f"/api/admin/conversations/{turn['conversation_id']}", headers=admin_headers
                )
            ).json()

    reply = turn["replies"][0]["text"]
    assert "duplicate charge" in reply and "€59.90" in reply
    [ticket] = tickets
    assert ticket["category"] == "billing" and ticket["priority"] == "high"
    assert ticket["number"] in reply
    trace = detail["traces"][0]
    assert trace["route"] == "workflow:billing_issue"
    assert trace["tools"] == ["payments.find_duplicates", "tickets.create", "notify.staff"]
    duplicates = trace["tool_calls"][0]
    assert duplicates["connector"] == "billing" and "ch_m4" in duplicates["result"]
    assert any(path == "/v1/charges" for _, path, _ in stripe_api.requests)
