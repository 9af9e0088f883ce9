"""The engine's parts, each driven directly on a real runtime and database (no HTTP server):
the inbox, the waiting requests, the turns, the approvals and the staff's actions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from bots.base import (
    ChannelCapabilities,
    Delivered,
    DeliveryFailed,
    InboundMessage,
    OutboundMessage,
)
from storage import customers, messages
from storage.db import transaction
from storage.models import (
    Approval,
    Conversation,
    Direction,
    GraphCheckpoint,
    InboundStatus,
    Message,
    Mode,
    OutboundStatus,
    Role,
    StaffNotification,
    Trace,
)
from switchboard.channels.table import build_channels, run_channels
from switchboard.engine.delivery import DeliveryPolicy, Outbox
from switchboard.engine.inbox import storable_text
from switchboard.runtime import Runtime, open_runtime
from switchboard.settings import Settings


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with run_channels(settings, build_channels(settings)) as running:
        yield running  # web chat's adapter delivers; no HTTP server runs


async def _maria(runtime: Runtime) -> int:
    async with runtime.sessions() as session:
        customer = await customers.get_customer_by_user_id(session, "cus_maria")
    assert customer is not None and customer.id is not None
    return customer.id


def _message(text: str, message_id: str, customer_id: int | None = None) -> InboundMessage:
    return InboundMessage(
        channel="webchat",
        channel_user_id="visitor-1",
        channel_chat_id="ws_parts",
        channel_message_id=message_id,
        text=text,
        verified_customer_id=customer_id,
    )


async def _count(runtime: Runtime, model: type, *where: object) -> int:
    async with runtime.sessions() as session:
        statement = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return int((await session.execute(statement)).scalar() or 0)


async def test_the_inbox_stores_a_retried_message_once_and_answers_it_with_the_first(
    runtime: Runtime,
) -> None:
    inbox, waiters = runtime.engine.inbox, runtime.engine.waiters
    first = await inbox.submit(_message("hello", "m-1"))
    answered = await waiters.wait_for_turn(first, timeout=30)
    retried = await inbox.submit(_message("hello", "m-1"))
    assert retried.duplicate and retried.message_id == first.message_id
    assert [r.text for r in retried.replies] == [r.text for r in answered.replies]
    inbound = (col(Message.direction) == Direction.inbound,)
    assert await _count(runtime, Message, *inbound) == 1
    assert storable_text("a\x00b\ud800") == "ab\ufffd"  # NUL dropped, lone surrogate kept


async def test_a_request_waits_for_its_turn_and_gives_up_without_losing_it(
    runtime: Runtime,
) -> None:
    """No drain runs for a message stored behind the inbox's back: the wait times out,
    the result says pending; once the turn runs the same wait answers."""
    waiters, turns = runtime.engine.waiters, runtime.engine.turns
    runtime.engine.inbox.accepting = False  # nothing kicks a drain now
    async with runtime.sessions() as session, session.begin():
        from storage import conversations

        conversation = await conversations.open_conversation(
            session, channel="webchat", channel_chat_id="ws_quiet", customer_id=None
        )
        row = Message(
            conversation_id=conversation.id,  # type: ignore[arg-type]
            direction=Direction.inbound,
            role=Role.customer,
            channel="webchat",
            channel_message_id="m-quiet",
            text="hi",
            status=InboundStatus.received,
        )
        session.add(row)
    assert row.id is not None
    assert not await waiters.wait_until_processed(row.id, timeout=0.3, poll_s=0.1)
    assert (await waiters.result(row.id)).pending
    turns.kick(conversation.id)  # type: ignore[arg-type]
    assert await waiters.wait_until_processed(row.id, timeout=30, poll_s=0.1)
    assert not (await waiters.result(row.id)).pending


async def test_a_turn_commits_its_replies_trace_and_checkpoint_and_a_handoff_relays(
    runtime: Runtime,
) -> None:
    engine = runtime.engine
    maria = await _maria(runtime)
    result = await engine.handle(_message("where is my order 1042?", "m-2", maria))
    assert result.replies and result.route and result.route.startswith("workflow:")
    thread = str(result.conversation_id)
    assert await _count(runtime, Trace, col(Trace.message_id) == result.message_id) == 1
    assert await _count(runtime, GraphCheckpoint, col(GraphCheckpoint.thread_id) == thread) == 1

    async with runtime.sessions() as session, session.begin():
        from storage import conversations

        await conversations.set_mode(session, result.conversation_id, Mode.human)
    relayed = await engine.handle(_message("are you there?", "m-3", maria))
    assert relayed.replies == () and relayed.mode == "human"  # the bot stays quiet
    kinds = col(StaffNotification.kind) == "customer_message"
    assert await _count(runtime, StaffNotification, kinds) == 1


async def test_an_approval_is_decided_and_carried_out_once(runtime: Runtime) -> None:
    engine = runtime.engine
    maria = await _maria(runtime)
    asked = await engine.handle(
        _message("I'd like to return order 1038 and get a refund", "m-4", maria)
    )
    assert any("approve" in r.text for r in asked.replies)
    await engine.settle()  # the approval's thread waits for staff
    async with runtime.sessions() as session:
        approval = (await session.execute(select(Approval))).scalars().one()
    assert approval.id is not None
    first = await engine.approvals.decide(approval.id, approved=True, decided_by="ana")
    second = await engine.approvals.decide(approval.id, approved=False, decided_by="bob")
    assert first.applied and not second.applied
    assert second.decided_by == "ana"
    told = col(Message.role) == Role.bot, col(Message.text).contains("approved your refund")
    assert await _count(runtime, Message, *told) == 1
    with pytest.raises(LookupError):
        await engine.approvals.decide(999_999, approved=True, decided_by="ana")


async def test_staff_actions_reach_the_customer_in_order(runtime: Runtime) -> None:
    engine = runtime.engine
    first = await engine.handle(_message("hello", "m-5"))
    outbox_id = await engine.staff.send_staff_reply(
        first.conversation_id, "Hi, Ana here.", author="Ana"
    )
    async with runtime.sessions() as session:
        row = await session.get(Message, outbox_id)
    assert row is not None and row.role == Role.staff and row.author == "Ana"
    with pytest.raises(LookupError):
        await engine.staff.send_staff_reply(999_999, "nobody")
    assert await engine.staff.retry_delivery(outbox_id) == "delivered"  # nothing to retry


class _PlainText:
    """A channel that shows no buttons: choices arrive as numbered lines of text."""

    name = "plain"
    capabilities = ChannelCapabilities(max_text_length=None, quick_replies=False)

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, message: OutboundMessage) -> Delivered:
        self.sent.append(message.text)
        return Delivered((f"p{len(self.sent)}",))


async def test_a_number_picks_the_choice_a_channel_without_buttons_numbered(
    settings: Settings,
) -> None:
    plain = _PlainText()
    async with open_runtime(settings, adapters={"plain": plain}) as running:

        def said(text: str, n: int) -> InboundMessage:
            return InboundMessage(
                channel="plain",
                channel_user_id="u1",
                channel_chat_id="c1",
                channel_message_id=f"p-{n}",
                text=text,
            )

        asked = await running.engine.handle(said("My payment failed twice, I was charged", 1))
        [offered] = [r.quick_replies for r in asked.replies if r.quick_replies]
        assert "Talk to a person" in offered
        assert any("1. " in text for text in plain.sent)  # shown as numbered text
        number = offered.index("Talk to a person") + 1
        answered = await running.engine.handle(said(str(number), 2))
    assert answered.route == "human"  # the number was read as the button it stands for


class _Parted:
    """A channel that takes 20 characters a message and fails once on the part named."""

    name = "parted"
    capabilities = ChannelCapabilities(max_text_length=20, quick_replies=False)

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.sent: list[str] = []

    async def send(self, message: OutboundMessage) -> Delivered:
        if message.text == self.fail_on:
            self.fail_on = None
            raise DeliveryFailed("platform down")
        self.sent.append(message.text)
        return Delivered((f"m{len(self.sent)}-{message.text}",))


async def test_a_reply_partly_sent_before_a_restart_resumes_after_the_parts_sent(
    settings: Settings,
) -> None:
    parts = ["first part one", "second part two", "third part three"]
    async with open_runtime(settings, adapters={}) as running:
        async with transaction(running.sessions) as session:
            conversation = Conversation(channel="parted", channel_chat_id="c1")
            session.add(conversation)
            await session.flush()
            assert conversation.id is not None
            row = await messages.add_outbound(
                session, conversation_id=conversation.id, channel="parted", text=" ".join(parts)
            )
        assert row.id is not None
        once = DeliveryPolicy(attempts=1, first_backoff_s=0)
        failing = _Parted(fail_on=parts[1])
        await Outbox(running.sessions, {"parted": failing}, once).deliver_stored(row.id)
        assert failing.sent == parts[:1]

        restarted = _Parted()  # a new process: nothing in memory, the same database
        after_restart = Outbox(running.sessions, {"parted": restarted}, once)
        assert (await after_restart.reset_failed(row.id))[0] == conversation.id  # staff retry
        await after_restart.deliver_stored(row.id)
        async with running.sessions() as session:
            stored = await session.get(Message, row.id)
    assert restarted.sent == parts[1:]  # the customer never sees part 1 twice
    assert stored is not None and stored.status == OutboundStatus.delivered
    assert stored.channel_message_id == f"out:{row.id}:m1-{parts[0]}"
    assert stored.sent_parts == [[f"m1-{parts[0]}"], [f"m1-{parts[1]}"], [f"m2-{parts[2]}"]]


async def test_a_web_chat_reply_delivered_when_stored_gets_no_part_writes(
    runtime: Runtime,
) -> None:
    await runtime.engine.handle(_message("hello " * 200, "w-long"))
    async with runtime.sessions() as session:
        rows = await session.exec(  # type: ignore[call-overload]
            select(Message).where(col(Message.direction) == Direction.outbound)
        )
        replies = list(rows.scalars())
    assert replies and all(reply.sent_parts == [] for reply in replies)
