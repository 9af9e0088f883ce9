"""The staff desk's plumbing: rate limits, durable notifications, the slash command, config,
and a Slack customer handed to staff."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bots.base import InboundMessage
from storage.db import create_engine, session_factory, transaction
from storage.models import StaffNotification, utcnow
from storage.staff import SENDING, STALE_CLAIM
from switchboard.channels.table import build_channels
from switchboard.desk import notifications as staff_outbox
from switchboard.settings import ConfigError
from tests.bots.slack.conftest import (
    APPROVER,
    SEED,
    STAFF,
    SUPPORT,
    SlackSender,
    handoff_card,
    slack_settings,
)
from tests.conftest import make_settings, open_webchat
from tests.support.fake_slack import FakeSlack
from tests.support.server import LiveServer, run_server


async def test_rate_limits_are_honoured(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit("chat.postMessage", times=1, retry_after=1)

    await slack.dm("URATE", "Where is my order?")

    posts = await fake_slack.wait_for(
        lambda: len(fake_slack.posted(channel="DRATE")) == 2 and fake_slack.posted(channel="DRATE")
    )
    assert posts[1].at - posts[0].at >= 1.0  # waited as Retry-After said, then delivered
    assert posts[1].result["ok"] is True


async def test_notifications_left_by_a_crash_are_posted_on_start(
    database_url: str, fake_slack: FakeSlack, approver_policy: Path
) -> None:
    engine = create_engine(database_url)
    async with transaction(session_factory(engine)) as session:
        session.add(StaffNotification(kind="error", text="left pending by a crash"))
        session.add(StaffNotification(kind="error", text="was being posted", status=SENDING))
    settings = slack_settings(database_url, fake_slack, approver_policy)

    async with run_server(settings):
        await fake_slack.wait_for(lambda: len(fake_slack.posted(channel=SUPPORT)) == 2)
    # The server has stopped: whatever it was doing is finished and recorded.
    async with session_factory(engine)() as session:
        rows = await session.exec(select(StaffNotification))
        statuses = {n.text: n.status for n in rows.all()}
    await engine.dispose()

    texts = [c.args["text"] for c in fake_slack.posted(channel=SUPPORT)]
    assert texts == ["left pending by a crash", "was being posted"]
    assert set(statuses.values()) == {"sent"}


async def test_a_dead_replicas_claim_is_posted_without_a_restart_a_live_one_is_not(
    database_url: str,
    fake_slack: FakeSlack,
    approver_policy: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two replicas: one claimed a notification and died mid-post, the other is posting
    one right now. The running desk re-posts the first once its claim is stale (no restart
    needed), and never the second, so staff see each exactly once."""
    monkeypatch.setattr(staff_outbox, "STALE_CHECK_S", 0.2)
    settings = slack_settings(database_url, fake_slack, approver_policy)
    engine = create_engine(database_url)
    async with run_server(settings):
        async with transaction(session_factory(engine)) as session:
            session.add(
                StaffNotification(
                    kind="error",
                    text="claimed by a replica that died",
                    status=SENDING,
                    claimed_at=utcnow() - STALE_CLAIM - timedelta(seconds=1),
                )
            )
            session.add(
                StaffNotification(
                    kind="error",
                    text="being posted by another replica",
                    status=SENDING,
                    claimed_at=utcnow(),
                )
            )
        await fake_slack.wait_for(lambda: len(fake_slack.posted(channel=SUPPORT)) == 1)
        await asyncio.sleep(1.0)  # several stale checks later
    async with session_factory(engine)() as session:
        statuses = {n.text: n.status for n in (await session.exec(select(StaffNotification))).all()}
    await engine.dispose()
    assert [c.args["text"] for c in fake_slack.posted(channel=SUPPORT)] == [
        "claimed by a replica that died"
    ]
    assert statuses == {
        "claimed by a replica that died": "sent",
        "being posted by another replica": SENDING,
    }


async def test_slash_command_status_and_ticket(
    http: httpx.AsyncClient, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    maria = await open_webchat(http, "cus_maria")
    seed = await maria.say(SEED)
    number = seed["replies"][0]["text"].split("ticket number is ")[1].split(";")[0]
    sam = await open_webchat(http, "cus_sam")
    await sam.say("I want to talk to a human")
    await handoff_card(fake_slack)

    status = await slack.command("status", user=STAFF)
    ticket = await slack.command(f"ticket {number}", user=STAFF)
    missing = await slack.command("ticket SB-9999", user=STAFF)
    elsewhere = await slack.command("status", user="URANDOM", channel="CRANDOM")
    approver_elsewhere = await slack.command("status", user=APPROVER, channel="CRANDOM")
    usage = await slack.command("", user=STAFF)

    assert status.status_code == 200
    assert "Open handoffs: 1" in status.text and "cus_sam" in status.text
    assert "Waiting approvals: 0" in status.text
    assert number in ticket.text and "€59.90" in ticket.text and "cus_maria" in ticket.text
    assert "No ticket SB-9999" in missing.text
    assert "Open handoffs" not in elsewhere.text and SUPPORT in elsewhere.text
    assert "Open handoffs" in approver_elsewhere.text
    assert "Usage" in usage.text


async def test_a_slack_customer_talks_to_staff(
    slack: SlackSender, fake_slack: FakeSlack, server: LiveServer
) -> None:
    await slack.dm("UCUSTX", "I want to talk to a human")
    ts = await handoff_card(fake_slack)
    assert "slack" in fake_slack.text_of(SUPPORT, ts)

    await slack.dm("UCUSTX", "It's about <https://acme.test/o/1042|my order> &amp; a refund")
    relayed = await fake_slack.wait_for(
        lambda: [c for c in fake_slack.posted(thread_ts=ts) if "1042" in c.args["text"]]
    )
    assert "my order (https://acme.test/o/1042) &amp; a refund" in relayed[0].args["text"]

    await slack.thread_reply(STAFF, ts, "Hello, I'm Alex from support.")
    to_customer = await fake_slack.wait_for(
        lambda: [c for c in fake_slack.posted(channel="DCUSTX") if "Alex" in c.args["text"]]
    )
    assert to_customer[0].args["text"] == "*Support team:* Hello, I'm Alex from support."


async def test_engine_dedupes_slack_messages_by_channel_and_ts(
    server: LiveServer, fake_slack: FakeSlack
) -> None:
    message = InboundMessage(
        channel="slack",
        channel_user_id="UDUP",
        channel_chat_id="DDUP",
        channel_message_id="DDUP:1700000000.000001",
        text="hello",
    )
    first = await server.runtime.engine.submit(message)
    again = await server.runtime.engine.submit(message)
    assert not first.duplicate and again.duplicate


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_SUPPORT_CHANNEL"),
    ],
)
def test_incomplete_slack_config_fails_naming_the_key(
    tmp_path: Path, values: dict[str, str], key: str
) -> None:
    settings = make_settings(f"sqlite:///{tmp_path}/x.db", **values)
    with pytest.raises(ConfigError) as error:
        build_channels(settings)
    message = str(error.value)
    assert key in message and "\n" not in message
    assert "xoxb-1" not in message
