"""Hypothesis against the channel parsers, through the real webhooks: whatever JSON a
platform (or an attacker with the secret) sends, the answer is never a 5xx, and secrets
and card numbers never reach the logs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_settings
from tests.support.databases import DatabaseFactory
from tests.support.fake_slack import FakeSlack, event_body, signed_headers
from tests.support.fake_telegram import FakeTelegram
from tests.support.server import run_server

TG_TOKEN = "123456789:PARSER-token_for-the-fake"
TG_SECRET = "parser-webhook-secret"
SLACK_SECRET = "parser-signing-secret"
CARD = "4111 1111 1111 1111"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=50),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
# Updates shaped like Telegram's, with any field possibly wrong.
telegram_updates = st.fixed_dictionaries(
    {"update_id": st.one_of(st.integers(min_value=0, max_value=2**40), json_values)},
    optional={
        "message": st.fixed_dictionaries(
            {
                "message_id": st.one_of(st.integers(min_value=1, max_value=2**31), json_values),
                "date": st.integers(min_value=0, max_value=2**32),
                "chat": st.one_of(
                    st.fixed_dictionaries(
                        {
                            "id": st.integers(-(2**40), 2**40),
                            "type": st.sampled_from(["private", "group", "x"]),
                        }
                    ),
                    json_values,
                ),
            },
            optional={
                "text": st.text(max_size=300),
                "from": json_values,
                "sticker": json_values,
                "caption": json_values,
                "photo": json_values,
            },
        ),
        "callback_query": json_values,
        "edited_message": json_values,
    },
)
slack_events = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "app_mention", "reaction_added", "x"])},
    optional={
        "channel": st.text(max_size=12),
        "user": st.text(max_size=12),
        "text": st.text(max_size=300),
        "ts": st.text(max_size=20),
        "channel_type": st.sampled_from(["im", "channel", "group", "mpim"]),
        "thread_ts": st.text(max_size=20),
        "bot_id": st.text(max_size=5),
        "subtype": st.text(max_size=15),
        "client_msg_id": json_values,
    },
)


@pytest.fixture
async def parser_server(sqlite_databases: DatabaseFactory, tmp_path: Path):  # type: ignore[no-untyped-def]
    telegram, slack = FakeTelegram(token=TG_TOKEN), FakeSlack()
    await telegram.start()
    await slack.start()
    settings_ = make_settings(
        sqlite_databases.fresh(),
        SWITCHBOARD_RATE_LIMIT_BURST=100_000,
        TELEGRAM_BOT_TOKEN=TG_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=TG_SECRET,
        TELEGRAM_API_URL=telegram.url,
        SLACK_BOT_TOKEN="xoxb-parser",
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_SUPPORT_CHANNEL="CSUPPORT",
        SLACK_API_URL=slack.url,
    )
    try:
        async with run_server(settings_) as live:
            yield live
    finally:
        await telegram.stop()
        await slack.stop()


def _fuzz(base: str, strategy: Any, send: Any) -> list[str]:
    problems: list[str] = []

    @given(payload=strategy)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    def run(payload: Any) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            response = send(http, payload)
        if response.status_code >= 500:
            problems.append(f"{response.status_code} for {json.dumps(payload)[:300]}")

    run()
    return problems


async def test_no_webhook_payload_makes_the_server_fail(
    parser_server: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    def telegram(http: httpx.Client, update: Any) -> httpx.Response:
        return http.post(
            "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        )

    def slack(http: httpx.Client, event: Any) -> httpx.Response:
        body = event_body(event, "EvFuzz")
        return http.post(
            "/slack/events",
            content=body,
            headers={"Content-Type": "application/json", **signed_headers(SLACK_SECRET, body)},
        )

    problems = await asyncio.to_thread(_fuzz, parser_server.url, telegram_updates, telegram)
    problems += await asyncio.to_thread(_fuzz, parser_server.url, slack_events, slack)
    assert problems == []

    # A card number in a message and the platform secrets never reach the logs.
    async with httpx.AsyncClient(base_url=parser_server.url, timeout=30) as http:
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1,
                "text": f"my card {CARD}",
                "chat": {"id": 4242, "type": "private"},
                "from": {"id": 4242, "is_bot": False, "first_name": "A"},
            },
        }
        await http.post(
            "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        )
        await asyncio.sleep(1.0)
    logged = capsys.readouterr()
    for secret in (CARD, CARD.replace(" ", ""), TG_TOKEN, TG_SECRET, SLACK_SECRET):
        assert secret not in logged.out + logged.err
