"""Staff correct a turn's intent through the admin API: stored once, relabelled in place,
refused with a reason for unknown turns and intents, and only with the admin token."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.conftest import open_webchat


async def _turns(http: httpx.AsyncClient, conversation_id: int, headers: dict[str, str]) -> Any:
    response = await http.get(f"/api/admin/conversations/{conversation_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["traces"]


async def test_label_a_turn_then_relabel_it(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    visitor = await open_webchat(http)
    turn = await visitor.say("hello there")
    [trace] = await _turns(http, turn["conversation_id"], admin_headers)
    assert trace["intent"] == "greeting" and trace["correction"] is None
    url = f"/api/admin/turns/{trace['id']}/label"

    first = await http.post(url, json={"intent": "faq"}, headers=admin_headers)
    assert first.status_code == 200, first.text
    stored = first.json()
    assert stored["intent"] == "faq" and stored["changed"] is True
    assert stored["text"] == "hello there"
    assert stored["model"]["intent"] == "greeting" and stored["model"]["confidence"] > 0
    assert (stored["trace_id"], stored["conversation_id"]) == (
        trace["id"],
        turn["conversation_id"],
    )
    assert (stored["source"], stored["labelled_by"]) == ("admin", "admin-api")

    again = (await http.post(url, json={"intent": "faq"}, headers=admin_headers)).json()
    assert again["id"] == stored["id"] and again["changed"] is False
    relabel = await http.post(
        url, json={"intent": "human_handoff", "labelled_by": "alex"}, headers=admin_headers
    )
    assert relabel.json()["id"] == stored["id"]
    assert (relabel.json()["intent"], relabel.json()["labelled_by"]) == ("human_handoff", "alex")

    listed = (await http.get("/api/admin/corrections", headers=admin_headers)).json()
    assert [(c["trace_id"], c["intent"]) for c in listed["corrections"]] == [
        (trace["id"], "human_handoff")
    ]
    [shown] = await _turns(http, turn["conversation_id"], admin_headers)
    assert shown["intent"] == "greeting"  # what the model said stays
    assert shown["correction"]["intent"] == "human_handoff"
    async with http.stream("GET", "/api/admin/export/conversations", headers=admin_headers) as r:
        exported = [json.loads(line) async for line in r.aiter_lines() if line]
    [record] = [e for e in exported if e["conversation"]["id"] == turn["conversation_id"]]
    [label] = record["intent_corrections"]
    assert (label["trace_id"], label["intent"], label["text"]) == (
        trace["id"],
        "human_handoff",
        "hello there",
    )

    assert (await http.delete(url, headers=admin_headers)).status_code == 204
    gone = await http.delete(url, headers=admin_headers)
    assert gone.status_code == 404 and gone.json()["error"] == f"turn {trace['id']} has no label"
    assert (await http.get("/api/admin/corrections", headers=admin_headers)).json() == {
        "corrections": []
    }


async def test_unknown_turn_unknown_intent_and_no_token_are_refused(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    visitor = await open_webchat(http)
    turn = await visitor.say("where is my order?")
    [trace] = await _turns(http, turn["conversation_id"], admin_headers)
    url = f"/api/admin/turns/{trace['id']}/label"

    missing = await http.post(
        "/api/admin/turns/987654/label", json={"intent": "faq"}, headers=admin_headers
    )
    assert missing.status_code == 404
    assert missing.json()["error"] == "turn 987654 not found"

    unknown = await http.post(url, json={"intent": "weather"}, headers=admin_headers)
    assert unknown.status_code == 422
    assert "unknown intent 'weather'" in unknown.json()["error"]
    assert "order_status" in unknown.json()["error"]  # names the ones that exist
    assert (await http.post(url, json={}, headers=admin_headers)).status_code == 422

    assert (await http.post(url, json={"intent": "faq"})).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert (await http.post(url, json={"intent": "faq"}, headers=wrong)).status_code == 401
    assert (await http.get("/api/admin/corrections", headers=wrong)).status_code == 401
    assert (await http.delete(url, headers=wrong)).status_code == 401
    listed = await http.get("/api/admin/corrections", headers=admin_headers)
    assert listed.json() == {"corrections": []}
