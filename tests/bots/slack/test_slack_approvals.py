"""Approvals in Slack: only policy approvers decide; the refund runs once, however many click."""

from __future__ import annotations

import asyncio
import json

import httpx
from sqlmodel import select

from storage.db import create_engine, session_factory
from storage.models import Approval, Charge
from tests.bots.slack.conftest import (
    APPROVER,
    GROUP_MEMBER,
    SUPPORT,
    SlackSender,
    wait_for_history,
)
from tests.conftest import WebchatClient, open_webchat
from tests.support.fake_slack import FakeSlack


async def _rows(database_url: str) -> tuple[str, list[Approval]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            charge = (
                await session.exec(select(Charge).where(Charge.charge_id == "ch_maria_4"))
            ).one()
            approvals = list((await session.exec(select(Approval))).all())
            return charge.status, approvals
    finally:
        await engine.dispose()


async def _ask_for_refund(
    http: httpx.AsyncClient, fake: FakeSlack
) -> tuple[WebchatClient, str, str]:
    """Maria asks for a refund; returns her client, the approval id and the card's ts."""
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want a refund please")
    assert "asked our team to approve" in turn["replies"][0]["text"]
    cards = await fake.wait_for(
        lambda: [
            c
            for c in fake.posted(channel=SUPPORT)
            if "approval_approve" in json.dumps(c.args.get("blocks"))
        ],
        what="the approval card",
    )
    card = cards[0]
    text = fake.text_of(SUPPORT, card.result["ts"])
    assert "payments.refund" in text and "ch_maria_4" in text and "cus_maria" in text
    value = next(
        e["value"]
        for b in card.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == "approval_approve"
    )
    return maria, str(value), str(card.result["ts"])


async def test_an_approver_approves_and_the_refund_runs(
    http: httpx.AsyncClient, slack: SlackSender, fake_slack: FakeSlack, database_url: str
) -> None:
    maria, approval_id, ts = await _ask_for_refund(http, fake_slack)

    response = await slack.click("approval_approve", approval_id, user=APPROVER, message_ts=ts)

    assert response.status_code == 200
    await wait_for_history(maria, fake_slack, lambda m: "issued" in m["text"])
    await fake_slack.wait_for(
        lambda: f"Approved by <@{APPROVER}>" in fake_slack.text_of(SUPPORT, ts)
    )
    status, [approval] = await _rows(database_url)
    assert status == "refunded"
    assert approval.status == "approved" and approval.decided_by == APPROVER


async def test_a_non_approver_is_refused(
    http: httpx.AsyncClient, slack: SlackSender, fake_slack: FakeSlack, database_url: str
) -> None:
    _, approval_id, ts = await _ask_for_refund(http, fake_slack)

    await slack.click("approval_approve", approval_id, user="URANDOM", message_ts=ts)

    whisper = await fake_slack.wait_for(lambda: fake_slack.of("chat.postEphemeral"))
    assert whisper[0].args["user"] == "URANDOM"
    assert "Only the approvers" in whisper[0].args["text"]
    assert fake_slack.of("chat.update") == []
    status, [approval] = await _rows(database_url)
    assert status == "succeeded" and approval.status == "pending"


async def test_a_double_click_by_two_people_decides_once(
    http: httpx.AsyncClient, slack: SlackSender, fake_slack: FakeSlack, database_url: str
) -> None:
    maria, approval_id, ts = await _ask_for_refund(http, fake_slack)

    # One approver by user id, one through the user group; both click at once.
    await asyncio.gather(
        slack.click("approval_approve", approval_id, user=APPROVER, message_ts=ts),
        slack.click("approval_approve", approval_id, user=GROUP_MEMBER, message_ts=ts),
        slack.click("approval_approve", approval_id, user=APPROVER, message_ts=ts),
    )

    whispers = await fake_slack.wait_for(
        lambda: (
            len(fake_slack.of("chat.postEphemeral")) >= 2 and fake_slack.of("chat.postEphemeral")
        )
    )
    assert all("already approved" in w.args["text"] for w in whispers)
    await wait_for_history(maria, fake_slack, lambda m: "issued" in m["text"])
    status, [approval] = await _rows(database_url)
    assert status == "refunded"
    assert approval.decided_by in (APPROVER, GROUP_MEMBER)
    history = [m["text"] for m in (await maria.history())["messages"]]
    assert sum("issued" in text for text in history) == 1
    assert fake_slack.of("usergroups.users.list")  # the group was looked up
