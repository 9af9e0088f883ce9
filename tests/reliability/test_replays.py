"""1,000 webhook deliveries, 30% of them duplicates and retries, across Telegram, Slack and
web chat: exactly one reply per distinct message, in order per conversation."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import yaml

from graph.intents import train_classifier
from graph.policy import Policy
from switchboard.settings import DEFAULT_POLICY
from tests.conftest import make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.fake_slack import FakeSlack, event_body, signed_headers
from tests.support.fake_telegram import FakeTelegram, message_update
from tests.support.rows import all_messages, all_traces
from tests.support.server import run_server

TG_TOKEN = "123456789:REPLAY-token_for-the-fake"
TG_SECRET = "replay-webhook-secret"
SLACK_SECRET = "replay-signing-secret"
TEXTS = [
    "hello",
    "where is my order?",
    "what is your return policy",
    "thanks",
    "do you ship internationally",
    "how do I reset my password",
]
DISTINCT, CONVERSATIONS_PER_CHANNEL = 700, 10


def _plan(rng: random.Random) -> dict[tuple[str, int], list[tuple[int, bool]]]:
    """Per conversation: (message number, is_duplicate) in delivery order."""
    per_channel = DISTINCT // 3
    plan: dict[tuple[str, int], list[tuple[int, bool]]] = defaultdict(list)
    counts = {"telegram": per_channel, "slack": per_channel, "webchat": DISTINCT - 2 * per_channel}
    for channel, count in counts.items():
        for n in range(count):
            plan[(channel, n % CONVERSATIONS_PER_CHANNEL)].append((n, False))
    duplicates = 1000 - DISTINCT
    keys = list(plan)
    for _ in range(duplicates):  # a retry comes after its original, sometimes much later
        key = rng.choice(keys)
        sent = [n for n, dup in plan[key] if not dup]
        original = rng.choice(sent)
        first = next(i for i, (n, dup) in enumerate(plan[key]) if n == original and not dup)
        plan[key].insert(rng.randint(first + 1, len(plan[key])), (original, True))
    return plan


async def test_a_thousand_deliveries_with_retries(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    rng = random.Random(7)
    telegram = FakeTelegram(token=TG_TOKEN)
    slack = FakeSlack()
    await telegram.start()
    await slack.start()
    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    model = tmp_path / "intents.npz"
    train_classifier(*Policy.model_validate(policy).training_data()).save(model)
    policy["classifier"]["model_path"] = str(model)
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    url = sqlite_databases.fresh()
    settings = make_settings(
        url,
        SWITCHBOARD_POLICY=str(tmp_path / "policy.yaml"),
        SWITCHBOARD_RATE_LIMIT_BURST=10_000,
        TELEGRAM_BOT_TOKEN=TG_TOKEN,
        TELEGRAM_WEBHOOK_SECRET=TG_SECRET,
        TELEGRAM_API_URL=telegram.url,
        SLACK_BOT_TOKEN="xoxb-replay",
        SLACK_SIGNING_SECRET=SLACK_SECRET,
        SLACK_SUPPORT_CHANNEL="CSUPPORT",
        SLACK_API_URL=slack.url,
    )
    plan = _plan(rng)
    assert sum(len(v) for v in plan.values()) == 1000
    try:
        async with (
            run_server(settings) as live,
            httpx.AsyncClient(base_url=live.url, timeout=60) as http,
        ):
            visitors = {i: await open_webchat(http) for i in range(CONVERSATIONS_PER_CHANNEL)}

            async def deliver(channel: str, conversation: int, n: int, retry: bool) -> None:
                text = TEXTS[n % len(TEXTS)]
                if channel == "telegram":
                    chat = 810_000 + conversation
                    update = message_update(chat, text, message_id=n + 1, update_id=50_000 + n)
                    response = await http.post(
                        "/telegram/webhook",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET},
                    )
                elif channel == "slack":
                    ts = f"1700000000.{n:06d}"
                    event = {
                        "type": "message",
                        "channel_type": "im",
                        "channel": f"DREPLAY{conversation}",
                        "user": f"UREPLAY{conversation}",
                        "text": text,
                        "ts": ts,
                        "client_msg_id": f"cm-{n}",
                    }
                    body = event_body(event, f"EvR{n:06d}")
                    extra = (
                        {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
                        if retry
                        else {}
                    )
                    response = await http.post(
                        "/slack/events",
                        content=body,
                        headers={
                            "Content-Type": "application/json",
                            **signed_headers(SLACK_SECRET, body),
                            **extra,
                        },
                    )
                else:
                    visitor = visitors[conversation]
                    response = await http.post(
                        "/api/webchat/messages",
                        headers=visitor.auth,
                        json={"text": text, "client_message_id": str(n)},
                    )
                assert response.status_code == 200, response.text

            async def conversation_run(key: tuple[str, int], deliveries: list[Any]) -> None:
                for n, retry in deliveries:
                    await deliver(key[0], key[1], n, retry)

            await asyncio.gather(*(conversation_run(k, v) for k, v in plan.items()))
            for _ in range(600):
                rows = await all_messages(url)
                waiting = [m for m in rows if m.status in ("received", "pending")]
                if not waiting:
                    break
                await asyncio.sleep(0.1)
    finally:
        await telegram.stop()
        await slack.stop()

    rows = await all_messages(url)
    inbound = [m for m in rows if m.direction == "inbound"]
    assert len(inbound) == DISTINCT
    for message in inbound:
        replies = [r for r in rows if r.reply_to_id == message.id]
        assert len(replies) == 1 and replies[0].status == "delivered", message.text
    # Platforms received exactly one reply per distinct message.
    sent = defaultdict(int)
    for call in telegram.calls_of("sendMessage"):
        sent[("telegram", call.chat_id)] += 1
    for call in slack.posted():
        sent[("slack", call.args.get("channel"))] += 1
    expected = defaultdict(int)
    for (channel, conversation), deliveries in plan.items():
        distinct = len({n for n, _ in deliveries})
        if channel == "telegram":
            expected[("telegram", str(810_000 + conversation))] = distinct
        elif channel == "slack":
            expected[("slack", f"DREPLAY{conversation}")] = distinct
    assert {k: v for k, v in sent.items() if v} == dict(expected)
    # In order per conversation: turns ran in arrival order, one at a time.
    traces = await all_traces(url)
    by_conversation: dict[int, list[int]] = defaultdict(list)
    for trace in traces:
        by_conversation[trace.conversation_id].append(trace.message_id)
    for conversation_id, message_ids in by_conversation.items():
        arrived = [m.id for m in inbound if m.conversation_id == conversation_id]
        assert message_ids == arrived
