"""Sensitive actions wait in interrupt() for a person, survive restarts, run exactly once."""

from __future__ import annotations

import asyncio

import httpx
from sqlmodel import select

from storage.db import create_engine, session_factory
from storage.models import Charge
from switchboard.settings import Settings
from tests.conftest import open_webchat
from tests.support.server import run_server


async def _charge_status(database_url: str, charge_id: str) -> str:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            charge = (await session.exec(select(Charge).where(Charge.charge_id == charge_id))).one()
            return charge.status
    finally:
        await engine.dispose()


async def _pending(http: httpx.AsyncClient, headers: dict[str, str]) -> list[dict]:
    response = await http.get("/api/admin/approvals", headers=headers)
    assert response.status_code == 200
    return list(response.json()["approvals"])


async def test_refund_waits_for_approval_then_runs_once(
    http: httpx.AsyncClient, admin_headers: dict[str, str], database_url: str
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want a refund please")
    assert "asked our team to approve" in turn["replies"][0]["text"]
    assert "€59.90" in turn["replies"][0]["text"]
    assert await _charge_status(database_url, "ch_maria_4") == "succeeded"

    # The customer keeps chatting while staff decide; the approval keeps waiting.
    chat = await maria.say("where is my order?")
    assert "Order #1042" in chat["replies"][0]["text"]

    [approval] = await _pending(http, admin_headers)
    assert approval["tool"] == "payments.refund"
    assert approval["arguments"] == {"charge_id": "ch_maria_4"}

    decide = f"/api/admin/approvals/{approval['id']}"
    first, second = await asyncio.gather(
        http.post(
            decide, json={"decision": "approve", "decided_by": "U_ANA"}, headers=admin_headers
        ),
        http.post(decide, json={"decision": "deny", "decided_by": "U_BOB"}, headers=admin_headers),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 409]
    winner = first if first.status_code == 200 else second
    final = winner.json()["status"]
    assert final in ("approved", "denied")

    history = (await maria.history())["messages"]
    outcome = [
        m["text"] for m in history if "our team" in m["text"].lower() and "approve" in m["text"]
    ]
    assert len(outcome) == 2  # the request and exactly one decision
    if final == "approved":
        assert "issued" in outcome[-1]
        assert await _charge_status(database_url, "ch_maria_4") == "refunded"
    else:
        assert "could not approve" in outcome[-1]
        assert await _charge_status(database_url, "ch_maria_4") == "succeeded"
    assert await _pending(http, admin_headers) == []


async def test_denied_refund_is_explained_and_offers_a_person(
    http: httpx.AsyncClient, admin_headers: dict[str, str], database_url: str
) -> None:
    maria = await open_webchat(http, "cus_maria")
    await maria.say("I want a refund please")
    [approval] = await _pending(http, admin_headers)
    response = await http.post(
        f"/api/admin/approvals/{approval['id']}", json={"decision": "deny"}, headers=admin_headers
    )
    assert response.json()["status"] == "denied"
    last = (await maria.history())["messages"][-1]
    assert "could not approve" in last["text"]
    assert "Talk to a person" in last["quick_replies"]
    assert await _charge_status(database_url, "ch_maria_4") == "succeeded"


async def test_approval_survives_a_restart(settings: Settings, database_url: str) -> None:
    headers = {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}  # type: ignore[union-attr]
    async with run_server(settings) as first:
        async with httpx.AsyncClient(base_url=first.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            await maria.say("refund order #1038")
            token = maria.token
    async with run_server(settings) as second:
        async with httpx.AsyncClient(base_url=second.url, timeout=30) as http:
            [approval] = await _pending(http, headers)
            assert approval["arguments"] == {"charge_id": "ch_maria_0"}
            response = await http.post(
                f"/api/admin/approvals/{approval['id']}",
                json={"decision": "approve", "decided_by": "U_ANA"},
                headers=headers,
            )
            assert response.status_code == 200
            messages = (
                await http.get(
                    "/api/webchat/messages", headers={"Authorization": f"Bearer {token}"}
                )
            ).json()["messages"]
    assert "€24.50" in messages[-1]["text"] and "issued" in messages[-1]["text"]
    assert await _charge_status(database_url, "ch_maria_0") == "refunded"


async def test_unknown_and_bad_decisions(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    missing = await http.post(
        "/api/admin/approvals/999", json={"decision": "approve"}, headers=admin_headers
    )
    assert missing.status_code == 404
    bad = await http.post(
        "/api/admin/approvals/1", json={"decision": "maybe"}, headers=admin_headers
    )
    assert bad.status_code == 422
    assert (
        await http.post("/api/admin/approvals/1", json={"decision": "approve"})
    ).status_code == 401


async def test_anonymous_visitor_cannot_request_a_refund(http: httpx.AsyncClient) -> None:
    visitor = await open_webchat(http)
    turn = await visitor.say("I want a refund please")
    assert "sign in" in turn["replies"][0]["text"]
