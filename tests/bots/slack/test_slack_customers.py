"""Customers who write in Slack: signed events in, chat.postMessage out, retries ignored."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.bots.slack.conftest import SUPPORT, SlackSender, next_ts, slack_settings
from tests.support.fake_slack import FakeSlack, event_body, signed_headers
from tests.support.server import LiveServer, run_server

CUSTOMER = "UCUST01"


async def test_a_dm_gets_a_bot_reply(slack: SlackSender, fake_slack: FakeSlack) -> None:
    response, _ = await slack.dm(CUSTOMER, "Where is my order?")

    assert response.status_code == 200
    reply = await fake_slack.wait_for(lambda: fake_slack.posted(channel="DCUST01"))
    assert reply[0].token == "xoxb-test-token"
    assert reply[0].args["text"]  # the bot answered something, in the customer's DM


async def test_a_mention_is_answered_in_its_thread(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    ts = next_ts()
    event = {
        "type": "app_mention",
        "channel": "CCOMMUNITY",
        "user": CUSTOMER,
        "text": "<@UBOT> what is your return policy",
        "ts": ts,
    }
    assert (await slack.event(event)).status_code == 200

    reply = await fake_slack.wait_for(lambda: fake_slack.posted(channel="CCOMMUNITY"))
    assert reply[0].args["thread_ts"] == ts


async def test_forged_signature_is_refused(http: httpx.AsyncClient, fake_slack: FakeSlack) -> None:
    body = event_body(
        {"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "ts": "1.1"},
        "EvForged",
    )
    forged = signed_headers("not-the-secret", body)
    response = await http.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/json", **forged},
    )
    stale = await http.post(
        "/slack/events",
        content=body,
        headers={
            "Content-Type": "application/json",
            **signed_headers("test-signing-secret", body, int(time.time()) - 3600),
        },
    )

    assert response.status_code == 401
    assert stale.status_code == 401
    assert fake_slack.posted() == []


async def test_a_retried_event_gets_no_second_reply(
    slack: SlackSender, fake_slack: FakeSlack, server: LiveServer
) -> None:
    ts = next_ts()
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "DRETRY",
        "user": CUSTOMER,
        "text": "Where is my order?",
        "ts": ts,
    }
    first = await slack.event(event)
    await fake_slack.wait_for(lambda: fake_slack.posted(channel="DRETRY"))
    timeout_retry = await slack.event(
        event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    error_retry = await slack.event(
        event, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"}
    )

    assert first.status_code == timeout_retry.status_code == error_retry.status_code == 200
    assert timeout_retry.headers.get("x-slack-no-retry") == "1"
    await server.runtime.engine.stop(timeout=5)  # let anything scheduled finish
    assert len(fake_slack.posted(channel="DRETRY")) == 1


async def test_staff_chatter_in_the_support_channel_is_not_a_customer(
    slack: SlackSender, fake_slack: FakeSlack, server: LiveServer
) -> None:
    event = {
        "type": "message",
        "channel_type": "channel",
        "channel": SUPPORT,
        "user": "USTAFF",
        "text": "lunch?",
        "ts": next_ts(),
    }
    assert (await slack.event(event)).status_code == 200
    await server.runtime.engine.stop(timeout=5)
    assert fake_slack.posted() == []


async def test_socket_mode_delivers_events_without_a_public_url(
    database_url: str, fake_slack: FakeSlack, approver_policy: Path
) -> None:
    settings = slack_settings(
        database_url, fake_slack, approver_policy, SLACK_APP_TOKEN="xapp-test-token"
    )
    event = {
        "type": "message",
        "channel_type": "im",
        "channel": "DSOCKET",
        "user": CUSTOMER,
        "text": "Where is my order?",
        "ts": next_ts(),
    }
    async with run_server(settings):
        await fake_slack.push_event(event_body(event, "EvSocket1"), "env-1")
        await fake_slack.wait_for(lambda: fake_slack.posted(channel="DSOCKET"))
    assert fake_slack.socket_acks == ["env-1"]
    assert fake_slack.of("apps.connections.open")[0].token == "xapp-test-token"


async def test_a_quick_reply_button_is_the_customers_next_message(
    slack: SlackSender, fake_slack: FakeSlack
) -> None:
    await slack.dm("UANON", "My payment failed twice, but I was still charged.")
    [reply] = await fake_slack.wait_for(lambda: fake_slack.posted(channel="DANON"))
    buttons = [
        e for b in reply.args.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]
    ]
    person = next(b for b in buttons if b["value"] == "Talk to a person")

    response = await slack.click(
        person["action_id"],
        person["value"],
        user="UANON",
        message_ts=reply.result["ts"],
        channel="DANON",
    )

    assert response.status_code == 200
    await fake_slack.wait_for(
        lambda: [c for c in fake_slack.posted(channel=SUPPORT) if "handoff_take" in str(c.args)],
        what="the handoff card",
    )
