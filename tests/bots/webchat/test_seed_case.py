"""The seed case over real HTTP on both databases: Maria, Sam and an anonymous visitor."""

from __future__ import annotations

import httpx

from tests.conftest import open_webchat

SEED = "My payment failed twice, but I was still charged. I need this fixed today."


async def test_maria_gets_a_high_priority_ticket(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say(SEED)

    reply = turn["replies"][0]["text"]
    assert turn["mode"] == "bot"
    assert "duplicate charge" in reply
    assert "€59.90" in reply
    tickets = (
        await http.get(
            "/api/admin/tickets", params={"customer": "cus_maria"}, headers=admin_headers
        )
    ).json()["tickets"]
    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket["category"] == "billing" and ticket["priority"] == "high"
    assert ticket["number"] in reply

    detail = (
        await http.get(f"/api/admin/conversations/{turn['conversation_id']}", headers=admin_headers)
    ).json()
    trace = detail["traces"][0]
    assert trace["intent"] == "billing_issue"
    assert trace["route"] == "workflow:billing_issue"
    assert {"failed_payment", "double_charge", "urgent"} <= set(trace["entities"])
    assert trace["tools"] == ["payments.find_duplicates", "tickets.create", "notify.staff"]
    assert trace["node_path"] == ["guard", "classify", "route", "billing_issue", "respond"]
    # Each tool call is traced with its arguments, a short result and its time.
    duplicates, ticket, notice = trace["tool_calls"]
    assert duplicates["tool"] == "payments.find_duplicates" and "ch_maria_4" in duplicates["result"]
    assert '"priority": "high"' in ticket["arguments"] and ticket["ms"] >= 0
    assert notice["tool"] == "notify.staff" and "error" not in notice


async def test_maria_reporting_again_gets_the_same_ticket(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    first = await (await open_webchat(http, "cus_maria")).say(SEED)
    again = await (await open_webchat(http, "cus_maria")).say(SEED)

    tickets = (
        await http.get(
            "/api/admin/tickets", params={"customer": "cus_maria"}, headers=admin_headers
        )
    ).json()["tickets"]
    assert len(tickets) == 1
    number = tickets[0]["number"]
    assert number in first["replies"][0]["text"]
    assert number in again["replies"][0]["text"]
    assert "already being handled" in again["replies"][0]["text"]


async def test_sam_gets_an_honest_answer_and_no_ticket(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    sam = await open_webchat(http, "cus_sam")
    turn = await sam.say(SEED)

    reply = turn["replies"][0]
    assert "no duplicate charge" in reply["text"]
    assert "2 payment attempts failed" in reply["text"]
    assert "€24.00" in reply["text"]
    assert "Talk to a person" in reply["quick_replies"]
    tickets = (
        await http.get("/api/admin/tickets", params={"customer": "cus_sam"}, headers=admin_headers)
    ).json()["tickets"]
    assert tickets == []


async def test_anonymous_visitor_sees_no_account_data(http: httpx.AsyncClient) -> None:
    visitor = await open_webchat(http)
    turn = await visitor.say(SEED)

    reply = turn["replies"][0]
    assert "sign in" in reply["text"]
    assert "€" not in reply["text"] and "1042" not in reply["text"]
    assert "Talk to a person" in reply["quick_replies"]


async def test_wrong_identity_hash_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/webchat/sessions", json={"user_id": "cus_maria", "user_hash": "0" * 64}
    )
    assert response.status_code == 401
    assert "user_hash" in response.json()["error"]
