"""Conversations that hold together, through the real engine: a waiting workflow survives
a restart, expires when left idle, and a resolved conversation is rated once (stored,
shown to staff, never asked twice, never mid-workflow, off where the policy says)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

from tests.conftest import make_settings, open_webchat
from tests.graph.conftest import PolicyFile
from tests.graph.conversation import RATING_QUESTION, Customer
from tests.support.server import run_server

Starter = Callable[..., Any]


async def test_a_waiting_workflow_survives_a_server_restart(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(policy_file()))
    async with open_app(settings) as runtime:
        sam = Customer(runtime, "cus_sam")
        asked = await sam.say("I want a refund")
        assert asked.dialogue["asks_for"] == "order_number"
        assert "Order #2001" in asked.buttons
    async with open_app(settings) as runtime:  # a new process: only the database remains
        sam.runtime = runtime
        answered = await sam.say("2001")
        assert "asked our team to approve" in answered.said
        assert "order #2001" in answered.said
        assert answered.dialogue["active"] is None


async def test_a_workflow_left_waiting_expires_and_the_bot_says_so(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    idle = policy_file(dialogue={"idle_minutes": 0.005})  # 0.3 s
    async with open_app(make_settings(database_url, SWITCHBOARD_POLICY=str(idle))) as runtime:
        sam = Customer(runtime, "cus_sam")
        assert (await sam.say("I want a refund")).dialogue["asks_for"] == "order_number"
        await asyncio.sleep(0.5)
        late = await sam.say("where is my order")
        assert "It's been a while" in late.said and "your refund" in late.said
        assert "Order #2001" in late.said  # the new message was handled fresh
        assert late.dialogue["active"] is None
        assert "approve" not in late.said


async def test_a_resolved_conversation_is_rated_once_and_staff_see_it(
    database_url: str, policy_file: PolicyFile
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(policy_file()))
    async with run_server(settings) as server, httpx.AsyncClient(base_url=server.url) as http:
        maria = await open_webchat(http, "cus_maria")
        first = await maria.say("Where is order 1042?")
        assert RATING_QUESTION not in first["replies"][0]["text"]
        bye = await maria.say("thanks, that's all")
        [goodbye] = bye["replies"]  # one message: the goodbye carries the question
        assert RATING_QUESTION in goodbye["text"]
        assert goodbye["quick_replies"] == ["1", "2", "3", "4", "5"]
        rated = await maria.say("4")
        assert "anything you'd like to add" in rated["replies"][0]["text"]
        commented = await maria.say("Quick and clear, thank you")
        assert "passed your comment" in commented["replies"][0]["text"]
        again = await maria.say("thanks, bye")
        assert RATING_QUESTION not in again["replies"][0]["text"]

        detail = await http.get(
            f"/api/admin/conversations/{bye['conversation_id']}",
            headers={"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"},
        )
        assert detail.json()["csat"] == {"score": 4, "comment": "Quick and clear, thank you"}
        assert detail.json()["traces"][0]["dialogue"]["stack"] == []


async def test_no_rating_mid_workflow_without_service_or_where_switched_off(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    off = policy_file(csat={"channels": {"telegram": False}})
    async with open_app(make_settings(database_url, SWITCHBOARD_POLICY=str(off))) as runtime:
        sam = Customer(runtime, "cus_sam")
        await sam.say("I want a refund")
        waiting = await sam.say("thanks")  # mid-workflow: a digression, not a goodbye
        assert RATING_QUESTION not in waiting.said
        assert "Back to your refund" in waiting.said

        visitor = Customer(runtime, None)
        await visitor.say("hello")
        assert RATING_QUESTION not in (await visitor.say("bye")).said  # nothing was done

        telegram = Customer(runtime, "cus_maria", channel="telegram")
        await telegram.say("Where is order 1042?")
        assert RATING_QUESTION not in (await telegram.say("thanks, that's all")).said
        webchat = Customer(runtime, "cus_maria")
        await webchat.say("Where is order 1042?")
        assert RATING_QUESTION in (await webchat.say("thanks, that's all")).said
