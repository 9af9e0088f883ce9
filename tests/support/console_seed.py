"""Conversations for the admin console's tests, made the way customers make them (web chat
over HTTP), plus one reply that could not be delivered (a dead letter)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from storage.models import Direction, Message, OutboundStatus, Role
from switchboard.runtime import Runtime
from tests.conftest import open_webchat

SEED = "My payment failed twice, but I was still charged. I need this fixed today."
HOSTILE = '<script>alert("owned")</script><img src=x onerror=alert(1)> where is my order?'


@dataclass
class Seeded:
    billing: int
    """Maria's conversation: the seed billing case, then a refund waiting for approval."""
    hostile: int
    """An anonymous visitor who typed markup."""
    approval: int
    dead_letter: int
    ticket: str


async def seed_console(http: httpx.AsyncClient, runtime: Runtime, admin: dict[str, str]) -> Seeded:
    maria = await open_webchat(http, "cus_maria")
    billing = await maria.say(SEED)
    refund = await maria.say("I want a refund please")
    assert "approve" in refund["replies"][0]["text"]
    visitor = await open_webchat(http)
    hostile = await visitor.say(HOSTILE)

    approvals = (await http.get("/api/admin/approvals", headers=admin)).json()["approvals"]
    [approval] = [a for a in approvals if a["conversation_id"] == billing["conversation_id"]]
    tickets = (
        await http.get("/api/admin/tickets", params={"customer": "cus_maria"}, headers=admin)
    ).json()["tickets"]

    async with runtime.sessions() as session, session.begin():
        letter = Message(
            conversation_id=billing["conversation_id"],
            direction=Direction.outbound,
            role=Role.staff,
            channel="webchat",
            text="Your refund is on its way <b>today</b>.",
            status=OutboundStatus.failed,
            attempts=5,
            error="webchat: session gone (410)",
        )
        session.add(letter)
        await session.flush()
        assert letter.id is not None
        letter_id = letter.id
    return Seeded(
        billing=billing["conversation_id"],
        hostile=hostile["conversation_id"],
        approval=approval["id"],
        dead_letter=letter_id,
        ticket=tickets[0]["number"],
    )
