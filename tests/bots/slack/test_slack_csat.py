"""Staff resolving a handoff in Slack ask the customer for a rating, once; the bot reads
the answer and staff see it in the conversation's detail."""

from __future__ import annotations

import httpx

from switchboard.desk.handoffs import RESOLVED_TEXT
from tests.bots.slack.conftest import STAFF, SlackSender, handoff_card, wait_for_history
from tests.conftest import open_webchat
from tests.support.fake_slack import FakeSlack

QUESTION = "how would you rate this conversation"


async def test_resolved_by_staff_the_customer_is_asked_once_and_the_rating_is_stored(
    http: httpx.AsyncClient,
    slack: SlackSender,
    fake_slack: FakeSlack,
    admin_headers: dict[str, str],
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want to talk to a human")
    cid = turn["conversation_id"]
    ts = await handoff_card(fake_slack)

    await slack.click("handoff_resolve", str(cid), user=STAFF, message_ts=ts)
    seen = await wait_for_history(maria, fake_slack, lambda m: QUESTION in m["text"])
    texts = [m["text"] for m in (await maria.history())["messages"]]
    assert texts.index(RESOLVED_TEXT) < next(i for i, t in enumerate(texts) if QUESTION in t)
    assert seen[0]["quick_replies"] == ["1", "2", "3", "4", "5"]

    rated = await maria.say("5")
    assert "anything you'd like to add" in rated["replies"][0]["text"]
    await maria.say("No comment")
    detail = await http.get(f"/api/admin/conversations/{cid}", headers=admin_headers)
    assert detail.json()["csat"] == {"score": 5, "comment": None}

    bye = await maria.say("thanks, that's all")
    assert QUESTION not in bye["replies"][0]["text"]  # never twice
