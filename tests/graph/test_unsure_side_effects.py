"""A workflow that writes (ticket, staff notice) never runs on a guess: a model's guess or
a weak local one is confirmed with the customer first, or handed to a person where the
policy says so. Through the real web chat API, the model a scripted server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.conftest import make_settings, open_webchat
from tests.graph.test_agent import _trace, start, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import Call, FakeOpenAI
from tests.support.server import run_server

GUESSED_BILLING = Call(
    "MessageAnalysis",
    {"intent": "billing_issue", "flags": [], "urgency": "high", "sentiment": "negative"},
)
LOGGED_OUT = "your app keeps logging me out every few minutes"


async def _tickets(http: httpx.AsyncClient, headers: dict[str, str], conversation: int) -> list:
    detail = await http.get(f"/api/admin/conversations/{conversation}", headers=headers)
    return list(detail.json()["tickets"])


async def test_a_guessed_billing_problem_is_confirmed_before_any_ticket(
    sqlite_databases: DatabaseFactory,
    fake_llm: FakeOpenAI,
    tmp_path: Path,
    admin_headers: dict[str, str],
) -> None:
    fake_llm.queue(GUESSED_BILLING, GUESSED_BILLING)
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            asked = await maria.say(LOGGED_OUT)
            conversation = asked["conversation_id"]
            assert "is this about your payment?" in asked["replies"][0]["text"]
            assert asked["replies"][0]["quick_replies"] == ["Yes", "No"]
            assert await _tickets(http, admin_headers, conversation) == []

            declined = await maria.say("No")
            assert "got that wrong" in declined["replies"][0]["text"]
            assert await _tickets(http, admin_headers, conversation) == []
            traces = await _trace(http, admin_headers, conversation)
            assert "tickets.create" not in [tool for t in traces for tool in t["tools"]]
            assert "notify.staff" not in [tool for t in traces for tool in t["tools"]]
            assert traces[1]["llm"] == []  # "No" answers our question: no model call

            again = await maria.say("something is off with my bill, can you look at it")
            confirmed = await maria.say("yes")
            assert "SB-" in confirmed["replies"][0]["text"]  # the billing workflow ran
            assert "is this about your payment?" in again["replies"][0]["text"]
            [ticket] = await _tickets(http, admin_headers, conversation)
            assert ticket["priority"] == "high"  # from the request, not from "yes"
            assert (await _trace(http, admin_headers, conversation))[-1]["llm"] == []


async def test_the_policy_can_hand_unsure_side_effects_to_a_person(
    sqlite_databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    fake_llm.queue(GUESSED_BILLING)
    policy = write_policy(tmp_path, classifier__unsure_side_effects="handover")
    async with await start(sqlite_databases, fake_llm, policy) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            turn = await (await open_webchat(http, "cus_maria")).say(LOGGED_OUT)
    assert turn["mode"] == "human"
    assert "is this about" not in turn["replies"][0]["text"]


async def test_a_weak_local_guess_is_confirmed_without_a_model(
    sqlite_databases: DatabaseFactory, tmp_path: Path, admin_headers: dict[str, str]
) -> None:
    policy = write_policy(tmp_path, threshold=0.35, classifier__confirm_below=0.99)
    settings = make_settings(sqlite_databases.fresh(), SWITCHBOARD_POLICY=str(policy))
    async with run_server(settings) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            asked = await maria.say("I was charged twice for order 1042")
            confirmed = await maria.say("yes, that's right")
            detail: dict[str, Any] = (
                await http.get(
                    f"/api/admin/conversations/{asked['conversation_id']}", headers=admin_headers
                )
            ).json()
    assert "is this about your payment?" in asked["replies"][0]["text"]
    assert "SB-" in confirmed["replies"][0]["text"]
    assert len(detail["tickets"]) == 1
