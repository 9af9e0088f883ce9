"""Outbound webhooks over real HTTP on both databases: the customer on the web chat, a
helpdesk's endpoint (a fake on 127.0.0.1) following along, signed, retried, resumed."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlmodel import col, select, update

from graph.policy import PolicyError, load_policy
from storage.approvals import approvals_with_status
from storage.db import create_engine, session_factory, transaction
from storage.models import Conversation, Ticket, WebhookDelivery, utcnow
from storage.retention import erase_customer
from storage.tickets import create_ticket
from storage.webhooks import Subscription, Subscriptions, webhook_info
from switchboard.desk.handoffs import StaffMember
from switchboard.engine.event_webhooks import signature
from switchboard.policy_tools.lines import check_file
from switchboard.settings import DEFAULT_POLICY, Settings
from tests.conftest import make_settings, open_webchat
from tests.support.fake_webhook import FakeWebhookReceiver
from tests.support.server import LiveServer, run_server

SEED = "My payment failed twice, but I was still charged. I need this fixed today."
SECRET = "whsec-test-0123456789"
SECRET_VARIABLE = "SWITCHBOARD_TEST_WEBHOOK_SECRET"
ALL_EVENTS = [
    "ticket.created",
    "handoff.requested",
    "handoff.resolved",
    "approval.decided",
    "conversation.resolved",
    "csat.received",
]


def write_policy(folder: Path, webhooks: list[dict[str, Any]]) -> Path:
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["webhooks"] = webhooks
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return path


def hook(receiver: FakeWebhookReceiver, **extra: Any) -> dict[str, Any]:
    return {
        "url": receiver.url,
        "secret": "${" + SECRET_VARIABLE + "}",
        "events": ALL_EVENTS,
        "first_retry_s": 0.1,
        **extra,
    }


@pytest.fixture
async def receiver(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeWebhookReceiver]:
    monkeypatch.setenv(SECRET_VARIABLE, SECRET)
    fake = FakeWebhookReceiver(SECRET)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings(database_url: str, receiver: FakeWebhookReceiver, tmp_path: Path) -> Settings:
    """The suite's `settings` with one webhook that takes every event."""
    policy = write_policy(tmp_path, [hook(receiver)])
    return make_settings(database_url, SWITCHBOARD_POLICY=str(policy))


async def deliveries(server: LiveServer, event_id: str | None = None) -> list[WebhookDelivery]:
    async with server.runtime.sessions() as session:
        query = select(WebhookDelivery).order_by(col(WebhookDelivery.id))
        if event_id is not None:
            query = query.where(WebhookDelivery.event_id == event_id)
        return list((await session.exec(query)).all())


async def eventually(
    read: Callable[[], Awaitable[list[WebhookDelivery]]],
    done: Callable[[list[WebhookDelivery]], bool],
    timeout: float = 10.0,
) -> list[WebhookDelivery]:
    """The rows `read` returns once `done` holds for them (the sender writes after posting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await read()
        if rows and done(rows):
            return rows
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"rows never settled: {[(r.status, r.attempts) for r in rows]}")
        await asyncio.sleep(0.02)


def sent(rows: list[WebhookDelivery]) -> bool:
    return all(row.status == "sent" for row in rows)


async def test_ticket_created_arrives_signed_with_its_event_id(
    server: LiveServer, http: httpx.AsyncClient, receiver: FakeWebhookReceiver
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say(SEED)

    got = await receiver.event("ticket.created")
    assert got.signed
    assert got.headers["x-switchboard-signature"] == signature(
        SECRET, got.headers["x-switchboard-timestamp"], got.body
    )
    assert got.headers["content-type"] == "application/json"
    payload = got.json
    assert payload["id"] == got.event_id and payload["event"] == "ticket.created"
    assert payload["conversation_id"] == turn["conversation_id"]
    assert payload["channel"] == "webchat"
    assert payload["customer"]["user_id"] == "cus_maria"
    ticket = payload["ticket"]
    assert ticket["category"] == "billing" and ticket["priority"] == "high"
    assert ticket["number"] in turn["replies"][0]["text"]
    assert SECRET not in got.body.decode()
    [row] = await eventually(lambda: deliveries(server, got.event_id), sent)
    assert row.attempts == 1


async def test_a_failed_post_is_retried_and_delivered_once(
    server: LiveServer, http: httpx.AsyncClient, receiver: FakeWebhookReceiver
) -> None:
    receiver.fail_next(1, status=500)
    maria = await open_webchat(http, "cus_maria")
    await maria.say(SEED)

    got = await receiver.event("ticket.created")
    tries = [r for r in receiver.received if r.event_id == got.event_id]
    assert [r.status for r in tries] == [500, 200]
    assert [r.headers["x-switchboard-attempt"] for r in tries] == ["1", "2"]
    assert all(r.signed for r in tries)
    [row] = await eventually(lambda: deliveries(server, got.event_id), sent)
    assert row.attempts == 2
    # Later events are not held up, and nothing is posted twice.
    await maria.say("thanks, that's all")
    await receiver.event("conversation.resolved")
    accepted = [r.event_id for r in receiver.accepted()]
    assert len(accepted) == len(set(accepted))


async def test_a_receiver_that_keeps_failing_is_given_up(
    database_url: str, receiver: FakeWebhookReceiver, tmp_path: Path
) -> None:
    policy = write_policy(tmp_path, [hook(receiver, max_attempts=3, events=["ticket.created"])])
    receiver.fail_next(10, status=503)
    async with (
        run_server(make_settings(database_url, SWITCHBOARD_POLICY=str(policy))) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        await (await open_webchat(http, "cus_maria")).say(SEED)
        await receiver.wait_for(lambda: len(receiver.received) >= 3)
        [row] = await eventually(
            lambda: deliveries(server), lambda rows: rows[0].status == "failed"
        )
        assert row.status == "failed" and row.attempts == 3 and row.last_error == "HTTP 503"
        metrics = (await http.get("/metrics")).text
        assert 'switchboard_webhook_failures_total{event="ticket.created"}' in metrics
    assert len(receiver.received) == 3


async def test_a_refusal_is_not_retried(
    server: LiveServer, http: httpx.AsyncClient, receiver: FakeWebhookReceiver
) -> None:
    receiver.fail_next(1, status=400)  # a bad request stays bad: retrying cannot help
    await (await open_webchat(http, "cus_maria")).say(SEED)
    [row] = await eventually(lambda: deliveries(server), lambda rows: rows[0].status == "failed")
    assert row.attempts == 1 and row.last_error == "HTTP 400"
    assert [r.status for r in receiver.received] == [400]


async def test_events_a_crash_left_behind_are_delivered_at_start(
    database_url: str, receiver: FakeWebhookReceiver, tmp_path: Path
) -> None:
    """A process committed a ticket (and so its event) and died before posting it; another
    died while posting one. The next start delivers both."""
    policy = write_policy(tmp_path, [hook(receiver)])
    info = webhook_info(Subscriptions((Subscription(receiver.url, frozenset(ALL_EVENTS)),)))
    engine = create_engine(database_url)
    try:
        sessions = session_factory(engine, info=info)
        async with transaction(sessions) as session:
            conversation = Conversation(channel="webchat", channel_chat_id="ws_crashed")
            session.add(conversation)
            await session.flush()
            for summary in ("Charged twice", "Parcel lost"):
                await create_ticket(
                    session,
                    Ticket(
                        number="",
                        conversation_id=conversation.id,
                        category="billing",
                        priority="high",
                        summary=summary,
                    ),
                )
        async with transaction(sessions) as session:  # the second was being posted
            await session.exec(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id) == 2)
                .values(status="sending", claimed_at=utcnow() - timedelta(minutes=5))
            )
    finally:
        await engine.dispose()
    assert receiver.received == []

    async with run_server(make_settings(database_url, SWITCHBOARD_POLICY=str(policy))) as server:
        await receiver.wait_for(lambda: len(receiver.accepted("ticket.created")) == 2)
        rows = await eventually(lambda: deliveries(server), sent)
    summaries = sorted(r.json["ticket"]["summary"] for r in receiver.accepted())
    assert summaries == ["Charged twice", "Parcel lost"]
    assert [r.status for r in rows] == ["sent", "sent"]
    assert all(r.signed for r in receiver.received)


async def test_a_handoff_its_resolution_and_the_rating_reach_the_helpdesk(
    server: LiveServer, http: httpx.AsyncClient, receiver: FakeWebhookReceiver
) -> None:
    await server.add_staff()
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want to talk to a human")
    assert turn["mode"] == "human"
    requested = (await receiver.event("handoff.requested")).json
    assert requested["conversation_id"] == turn["conversation_id"]
    assert requested["handoff"]["reason"] and requested["handoff"]["ticket"]["number"]

    desk = server.runtime.handoffs
    member = StaffMember("Dana", "Dana")
    assert await desk.hand_back(turn["conversation_id"], member, resolved=True, source="api")
    resolved = (await receiver.event("handoff.resolved")).json
    assert resolved["outcome"] == "resolved" and resolved["by"] == "Dana"
    assert resolved["handoff"]["ticket"]["status"] == "resolved"
    closed = (await receiver.event("conversation.resolved")).json
    assert closed["how"] == "staff" and closed["conversation_id"] == turn["conversation_id"]

    await maria.say("5")
    rated = (await receiver.event("csat.received")).json
    assert rated["csat"] == {"rating": 5, "comment": None}
    await maria.say("Quick and friendly")
    await receiver.wait_for(lambda: len(receiver.accepted("csat.received")) == 2)
    commented = receiver.accepted("csat.received")[1].json
    assert commented["csat"] == {"rating": 5, "comment": "Quick and friendly"}
    assert commented["id"] != rated["id"]


async def test_an_approval_decision_reaches_the_helpdesk(
    server: LiveServer, http: httpx.AsyncClient, receiver: FakeWebhookReceiver
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want a refund please")
    assert "asked our team to approve" in turn["replies"][0]["text"]
    async with server.runtime.sessions() as session:
        [approval] = await approvals_with_status(session, "pending")
    assert approval.id is not None
    await server.runtime.engine.decide_approval(approval.id, approved=True, decided_by="U_ANA")
    decided = (await receiver.event("approval.decided")).json
    assert decided["approval"] == {
        "id": approval.id,
        "tool": approval.tool,
        "summary": approval.summary,
        "approved": True,
        "decided_by": "U_ANA",
    }
    assert decided["conversation_id"] == turn["conversation_id"]


async def test_a_goodbye_after_the_bot_helped_resolves_the_conversation_once(
    server: LiveServer, http: httpx.AsyncClient, receiver: FakeWebhookReceiver
) -> None:
    maria = await open_webchat(http, "cus_maria")
    await maria.say(SEED)
    await maria.say("thanks, bye")
    resolved = (await receiver.event("conversation.resolved")).json
    assert resolved["how"] == "bot" and resolved["customer"]["user_id"] == "cus_maria"
    await maria.say("thanks again")
    events = [r.event for r in receiver.accepted()]
    assert events.count("conversation.resolved") == 1


async def test_no_webhooks_configured_queues_nothing(database_url: str) -> None:
    async with (
        run_server(make_settings(database_url)) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        await (await open_webchat(http, "cus_maria")).say(SEED)
        assert await deliveries(server) == []


# --- configuration ---------------------------------------------------------------------


def test_an_unknown_event_fails_with_one_line_naming_it(tmp_path: Path) -> None:
    path = write_policy(
        tmp_path, [{"url": "https://crm.example/hook", "secret": "s", "events": ["ticket.made"]}]
    )
    _, problems = check_file(path)
    [line] = problems
    assert "webhooks[0].events[0]:" in line and "'ticket.created'" in line
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert "webhooks[0].events[0]" in str(raised.value)


def test_a_missing_secret_variable_fails_with_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_WEBHOOK_SECRET", raising=False)
    hook = {"url": "https://crm.example/hook", "secret": "${CRM_WEBHOOK_SECRET}"}
    path = write_policy(tmp_path, [{**hook, "events": ["ticket.created"]}])
    _, problems = check_file(path)
    assert len(problems) == 1
    assert problems[0].endswith(
        "webhooks[0].secret: environment variable CRM_WEBHOOK_SECRET is not set"
    )
    with pytest.raises(PolicyError, match="CRM_WEBHOOK_SECRET is not set"):
        load_policy(path)
    monkeypatch.setenv("CRM_WEBHOOK_SECRET", "from-the-environment")
    policy = load_policy(path)
    assert policy.webhooks[0].secret.get_secret_value() == "from-the-environment"
    assert "from-the-environment" not in policy.model_dump_json()  # nor in its version


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ({"url": "ftp://crm.example", "secret": "s", "events": ["ticket.created"]}, "url"),
        ({"url": "https://crm.example", "secret": "s", "events": []}, "events"),
        ({"url": "https://crm.example", "secret": "", "events": ["csat.received"]}, "secret"),
        ({"url": "https://x", "secret": "s", "events": ["csat.received"], "retries": 3}, "retries"),
    ],
)
def test_a_bad_webhook_names_its_key(tmp_path: Path, entry: dict[str, Any], key: str) -> None:
    _, problems = check_file(write_policy(tmp_path, [entry]))
    assert len(problems) == 1 and f"webhooks[0].{key}:" in problems[0]


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = json.dumps({"id": "e1"}).encode()
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("k", "1700000000", body) == f"sha256={expected}"


async def test_erasing_a_customer_removes_their_events(
    server: LiveServer, http: httpx.AsyncClient, receiver: FakeWebhookReceiver
) -> None:
    await (await open_webchat(http, "cus_maria")).say(SEED)
    await receiver.event("ticket.created")
    await (await open_webchat(http, "cus_sam")).say(SEED)
    async with transaction(server.runtime.sessions) as session:
        await erase_customer(session, "cus_maria")
    left = [row.payload["customer"] for row in await deliveries(server)]
    assert all(customer["user_id"] != "cus_maria" for customer in left)
