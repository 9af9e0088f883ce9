"""Handoffs without Slack, over real HTTP on both databases: the customer on the web chat,
staff through the admin API. What the customer is told is the truth at every step."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from storage.db import transaction
from storage.models import StaffRole
from storage.staff_accounts import add_staff
from switchboard.desk.handoffs import RESOLVED_TEXT
from switchboard.settings import DEFAULT_POLICY
from tests.conftest import make_settings, open_webchat
from tests.support.server import LiveServer, run_server

ASK = "I want to talk to a human"


async def _add_staff(server: LiveServer) -> None:
    async with transaction(server.runtime.sessions) as session:
        await add_staff(
            session,
            email="anna@example.com",
            name="Anna",
            role=StaffRole.agent,
            password="correct horse",
        )


async def _texts(client: object) -> list[str]:
    return [m["text"] for m in (await client.history())["messages"]]  # type: ignore[attr-defined]


async def test_nobody_to_answer_the_bot_says_so(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say(ASK)
    text = turn["replies"][0]["text"]
    assert "can't connect you with a person" in text and "SB-" in text
    assert turn["mode"] == "bot"  # nobody would ever answer human mode
    later = await maria.say("where is my order 1042?")
    assert later["replies"]  # the bot keeps helping
    listed = await http.get("/api/admin/handoffs", headers=admin_headers)
    assert listed.json() == {"handoffs": []}


async def test_waiting_take_reply_note_resolve(
    server: LiveServer, http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await _add_staff(server)
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say(ASK)
    cid = turn["conversation_id"]
    assert turn["mode"] == "human"
    assert "waiting for a person" in turn["replies"][0]["text"]
    # While waiting the bot is quiet, and what the customer writes is kept for staff.
    for text in ("My parcel never arrived.", "Order 1042, placed last week."):
        assert (await maria.say(text))["replies"] == []

    listed = (await http.get("/api/admin/handoffs?status=waiting", headers=admin_headers)).json()
    [waiting] = listed["handoffs"]
    assert waiting["conversation_id"] == cid and waiting["channel"] == "webchat"
    assert waiting["customer_messages"] == 2
    assert waiting["last_customer_text"] == "Order 1042, placed last week."
    assert waiting["assignee"] is None and waiting["waiting_s"] >= 0 and waiting["ticket"]

    took = await http.post(
        f"/api/admin/conversations/{cid}/take", json={"staff": "Anna"}, headers=admin_headers
    )
    assert took.status_code == 200, took.text
    again = await http.post(
        f"/api/admin/conversations/{cid}/take", json={"staff": "Ben"}, headers=admin_headers
    )
    assert again.status_code == 409 and "Anna" in again.json()["error"]
    assert "Anna from our team joined the conversation." in await _texts(maria)
    taken = (await http.get("/api/admin/handoffs?status=taken", headers=admin_headers)).json()
    assert [h["assignee"] for h in taken["handoffs"]] == ["Anna"]

    sent = await http.post(
        f"/api/admin/conversations/{cid}/messages",
        json={"text": "Hi Maria, I'm checking order 1042.", "staff": "Anna"},
        headers=admin_headers,
    )
    assert sent.status_code == 201 and sent.json()["status"] == "delivered"
    note = await http.post(
        f"/api/admin/conversations/{cid}/notes",
        json={"text": "Carrier says lost; refund likely", "staff": "Anna"},
        headers=admin_headers,
    )
    assert note.status_code == 201
    history = await maria.history()
    staff_said = [m for m in history["messages"] if m["role"] == "staff"]
    assert [m["text"] for m in staff_said] == ["Hi Maria, I'm checking order 1042."]  # once
    assert not any("Carrier says lost" in m["text"] for m in history["messages"])  # internal

    detail = (await http.get(f"/api/admin/conversations/{cid}", headers=admin_headers)).json()
    [reply] = [m for m in detail["messages"] if m["role"] == "staff"]
    assert reply["author"] == "Anna"
    assert [(n["author"], n["text"]) for n in detail["notes"]] == [
        ("Anna", "Carrier says lost; refund likely")
    ]

    resolved = await http.post(f"/api/admin/conversations/{cid}/resolve", headers=admin_headers)
    assert resolved.status_code == 200 and resolved.json()["mode"] == "bot"
    twice = await http.post(f"/api/admin/conversations/{cid}/resolve", headers=admin_headers)
    assert twice.status_code == 409
    after = await maria.history()
    texts = [m["text"] for m in after["messages"]]
    assert texts.count(RESOLVED_TEXT) == 1
    assert any("how would you rate" in t for t in texts)  # the satisfaction question
    assert after["mode"] == "bot"
    assert (await http.get("/api/admin/handoffs", headers=admin_headers)).json()["handoffs"] == []


async def test_first_reply_takes_it_and_return_hands_back(
    server: LiveServer, http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await _add_staff(server)
    sam = await open_webchat(http, "cus_sam")
    cid = (await sam.say(ASK))["conversation_id"]
    sent = await http.post(
        f"/api/admin/conversations/{cid}/messages",
        json={"text": "Hello Sam", "staff": "Ben"},
        headers=admin_headers,
    )
    assert sent.status_code == 201
    detail = (await http.get(f"/api/admin/conversations/{cid}", headers=admin_headers)).json()
    assert detail["conversation"]["assignee"] == "Ben"
    back = await http.post(f"/api/admin/conversations/{cid}/return", headers=admin_headers)
    assert back.status_code == 200
    assert any("back with our virtual assistant" in t for t in await _texts(sam))


async def test_bad_input_gets_a_4xx_with_a_message(
    server: LiveServer, http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await _add_staff(server)
    cid = (await (await open_webchat(http, "cus_sam")).say(ASK))["conversation_id"]
    cases = [
        ("post", f"/api/admin/conversations/{cid}/messages", {"text": "   "}, 422),
        ("post", f"/api/admin/conversations/{cid}/notes", {}, 422),
        ("post", "/api/admin/conversations/999999/messages", {"text": "hi"}, 404),
        ("post", "/api/admin/conversations/999999/take", None, 404),
        ("post", "/api/admin/conversations/0/resolve", None, 422),
        ("get", "/api/admin/handoffs?status=bogus", None, 422),
    ]
    for method, url, body, status in cases:
        response = await http.request(method, url, json=body, headers=admin_headers)
        assert response.status_code == status, (url, response.text)
        assert response.json()["error"]
    unauthorised = await http.get("/api/admin/handoffs")
    assert unauthorised.status_code == 401


@pytest.fixture
def closed_policy(tmp_path: Path) -> Path:
    """Staff work one half hour a day, two hours from now: the bot says when."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    hour = (datetime.now(UTC).hour + 2) % 24
    policy["handoff"] = {
        "hours": {
            "timezone": "UTC",
            "weekly": {
                d: f"{hour:02d}:00-{hour:02d}:30"
                for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
        }
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy))
    return path


@pytest.fixture
async def closed_server(database_url: str, closed_policy: Path) -> AsyncIterator[LiveServer]:
    async with run_server(
        make_settings(database_url, SWITCHBOARD_POLICY=str(closed_policy))
    ) as live:
        yield live


async def test_outside_hours_the_bot_says_when_people_are_back(closed_server: LiveServer) -> None:
    await _add_staff(closed_server)
    async with httpx.AsyncClient(base_url=closed_server.url, timeout=30) as http:
        turn = await (await open_webchat(http, "cus_maria")).say(ASK)
    text = turn["replies"][0]["text"]
    hour = (datetime.now(UTC).hour + 2) % 24
    assert "nobody is in right now" in text and f"at {hour}:00 UTC" in text
    assert "e-mail" in text
    assert turn["mode"] == "human"  # still kept for whoever comes in


async def test_staff_desk_notices_reach_a_spanish_customer_in_spanish(
    server: LiveServer, http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await _add_staff(server)
    ana = await open_webchat(http, "cus_maria")
    sent = await http.post(
        "/api/webchat/messages",
        json={"text": "Hablar con una persona", "client_message_id": "es-1", "locale": "es-ES"},
        headers=ana.auth,
    )
    turn = sent.json()
    assert turn["mode"] == "human", turn
    assert turn["replies"][0]["text"].startswith("Te estoy poniendo en contacto")
    cid = turn["conversation_id"]
    for action, body in (("take", {"staff": "Anna"}), ("resolve", {"staff": "Anna"})):
        done = await http.post(
            f"/api/admin/conversations/{cid}/{action}", json=body, headers=admin_headers
        )
        assert done.status_code == 200, done.text
    texts = await _texts(ana)
    assert "Anna, de nuestro equipo, se ha unido a la conversación." in texts
    assert any(t.startswith("Nuestro equipo de soporte ha marcado") for t in texts), texts
