"""Slack fixtures: the fake Slack Web API, the live server wired to it, signed requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from graph.intents import train_classifier
from graph.policy import Policy
from switchboard.settings import DEFAULT_POLICY, Settings
from tests.conftest import WebchatClient, make_settings
from tests.support.fake_slack import (
    BOT_USER,
    IDS,
    TEAM,
    Call,
    FakeSlack,
    command_body,
    event_body,
    interaction_body,
    next_ts,
    signed_headers,
)

SIGNING_SECRET = "test-signing-secret"
SUPPORT = "CSUPPORT"
APPROVER = "UAPPROVER"
GROUP = "SAPPROVERS"
GROUP_MEMBER = "UGROUPIE"
STAFF = "USTAFF"
SEED = "My payment failed twice, but I was still charged. I need this fixed today."


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack(groups={GROUP: [GROUP_MEMBER]})
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture(scope="session")
def approver_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default policy with one approver by user id and one by user group, and its
    classifier trained once (a model file loads in ~10 ms; training takes seconds)."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["approvers"] = [APPROVER, GROUP]
    folder = tmp_path_factory.mktemp("policy")
    model = folder / "intents.npz"
    train_classifier(*Policy.model_validate(policy).training_data()).save(model)
    policy.setdefault("classifier", {})["model_path"] = str(model)
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return path


def slack_settings(database_url: str, fake: FakeSlack, policy: Path, **extra: Any) -> Settings:
    return make_settings(
        database_url,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_SUPPORT_CHANNEL=SUPPORT,
        SLACK_API_URL=fake.url,
        SWITCHBOARD_POLICY=str(policy),
        **extra,
    )


@pytest.fixture
def settings(database_url: str, fake_slack: FakeSlack, approver_policy: Path) -> Settings:
    """Overrides the suite's `settings`: the `server` fixture now has Slack switched on."""
    return slack_settings(database_url, fake_slack, approver_policy)


_ids = IDS  # one counter even though this module is imported twice (pytest, and tests)


class SlackSender:
    """Sends what Slack would send to /slack/events, signed with the signing secret."""

    def __init__(self, http: httpx.AsyncClient, secret: str = SIGNING_SECRET) -> None:
        self.http = http
        self.secret = secret

    async def send(
        self, body: str, content_type: str, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        all_headers = {
            "Content-Type": content_type,
            **signed_headers(self.secret, body),
            **(headers or {}),
        }
        return await self.http.post("/slack/events", content=body, headers=all_headers)

    async def event(
        self, event: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        body = event_body(event, f"Ev{next(_ids):08d}")
        return await self.send(body, "application/json", headers)

    async def dm(
        self, user: str, text: str, *, channel: str | None = None, ts: str | None = None
    ) -> tuple[httpx.Response, str]:
        ts = ts or next_ts()
        event = {
            "type": "message",
            "channel_type": "im",
            "channel": channel or f"D{user[1:]}",
            "user": user,
            "text": text,
            "ts": ts,
            "client_msg_id": f"cm-{ts}",
        }
        return await self.event(event), ts

    async def thread_reply(self, user: str, thread_ts: str, text: str) -> httpx.Response:
        event = {
            "type": "message",
            "channel_type": "channel",
            "channel": SUPPORT,
            "user": user,
            "text": text,
            "ts": next_ts(),
            "thread_ts": thread_ts,
        }
        return await self.event(event)

    async def click(
        self, action_id: str, value: str, *, user: str, message_ts: str, channel: str = SUPPORT
    ) -> httpx.Response:
        action = {"type": "button", "action_id": action_id, "block_id": "b1", "value": value}
        return await self._act(action, user=user, message_ts=message_ts, channel=channel)

    async def select(
        self, action_id: str, value: str, *, user: str, message_ts: str, channel: str = SUPPORT
    ) -> httpx.Response:
        """Pick the option with `value` in a static_select menu."""
        action = {
            "type": "static_select",
            "action_id": action_id,
            "block_id": action_id,
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
        }
        return await self._act(action, user=user, message_ts=message_ts, channel=channel)

    async def _act(
        self, action: dict[str, Any], *, user: str, message_ts: str, channel: str
    ) -> httpx.Response:
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0001",
            "token": "legacy",
            "trigger_id": f"trig-{next(_ids)}",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel},
            "message": {"ts": message_ts, "user": BOT_USER},
            "response_url": "http://127.0.0.1:9/unused",
            "actions": [{**action, "action_ts": next_ts()}],
        }
        return await self.send(interaction_body(payload), "application/x-www-form-urlencoded")

    async def command(self, text: str, *, user: str, channel: str = SUPPORT) -> httpx.Response:
        body = command_body(
            text=text,
            user_id=user,
            channel_id=channel,
            response_url="http://127.0.0.1:9/unused",
            trigger_id=f"trig-{next(_ids)}",
        )
        return await self.send(body, "application/x-www-form-urlencoded")


@pytest.fixture
def slack(http: httpx.AsyncClient) -> SlackSender:
    return SlackSender(http)


def _blocks(call: Call) -> str:
    return json.dumps(call.args.get("blocks") or [])


async def handoff_card(fake: FakeSlack) -> str:
    """The ts of the handoff card in the support channel (the thread's root)."""
    cards = await fake.wait_for(
        lambda: [c for c in fake.posted(channel=SUPPORT) if "handoff_take" in _blocks(c)],
        what="the handoff card",
    )
    return str(cards[0].result["ts"])


async def wait_for_history(
    customer: WebchatClient, fake: FakeSlack, predicate: Any
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def check() -> bool:
        found[:] = [m for m in (await customer.history())["messages"] if predicate(m)]
        return bool(found)

    for _ in range(250):
        if await check():
            return found
        await asyncio.sleep(0.04)
    raise AssertionError("the customer never saw it")
