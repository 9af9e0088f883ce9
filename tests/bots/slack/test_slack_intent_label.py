"""Staff correct the intent on a handoff card in Slack: the real bolt listener, signed
requests, the fake Slack Web API; the correction lands in the database for retraining."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx

from bots.slack.blocks import render
from bots.slack.cards import HandoffCard
from tests.bots.slack.conftest import APPROVER, STAFF, SUPPORT, SlackSender, handoff_card
from tests.conftest import open_webchat
from tests.support.fake_slack import FakeSlack


def _menu(fake: FakeSlack, ts: str) -> dict[str, Any]:
    blocks = fake.messages[(SUPPORT, ts)]["blocks"]
    [menu] = [
        b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == "intent_label"
    ]
    return dict(menu)


async def _corrections(http: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    response = await http.get("/api/admin/corrections", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["corrections"])


async def _whisper(fake: FakeSlack, user: str, count: int) -> str:
    whispers = await fake.wait_for(
        lambda: (
            (found := [c for c in fake.of("chat.postEphemeral") if c.args["user"] == user])
            and len(found) >= count
            and found
        ),
        what=f"whisper {count} to {user}",
    )
    return str(whispers[count - 1].args["text"])


async def test_staff_correct_the_intent_of_the_turn_that_led_to_the_handoff(
    http: httpx.AsyncClient,
    slack: SlackSender,
    fake_slack: FakeSlack,
    admin_headers: dict[str, str],
) -> None:
    maria = await open_webchat(http, "cus_maria")
    await maria.say("hi")
    turn = await maria.say("I want to talk to a human")
    ts = await handoff_card(fake_slack)
    traces = (
        await http.get(f"/api/admin/conversations/{turn['conversation_id']}", headers=admin_headers)
    ).json()["traces"]
    handoff_trace = traces[-1]
    assert handoff_trace["intent"] == "human_handoff"

    menu = _menu(fake_slack, ts)
    assert menu["type"] == "static_select"
    assert menu["placeholder"]["text"] == "Correct intent"
    values = [o["value"] for o in menu["options"]]
    assert f"{handoff_trace['id']}:billing_issue" in values  # the handoff turn, not "hi"
    assert {v.split(":")[1] for v in values} >= {"billing_issue", "order_status", "greeting"}
    card = fake_slack.text_of(SUPPORT, ts)
    assert "human_handoff (" in card and "%)" in card  # the intent with its confidence

    response = await slack.select(
        "intent_label", f"{handoff_trace['id']}:billing_issue", user=STAFF, message_ts=ts
    )
    assert response.status_code == 200
    notes = await fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.posted(channel=SUPPORT, thread_ts=ts)
            if "corrected the intent" in c.args["text"]
        ],
        what="the acknowledgement in the thread",
    )
    assert f"<@{STAFF}>" in notes[0].args["text"]
    assert "`billing_issue`" in notes[0].args["text"] and "human_handoff" in notes[0].args["text"]
    [stored] = await _corrections(http, admin_headers)
    assert (stored["trace_id"], stored["intent"]) == (handoff_trace["id"], "billing_issue")
    assert (stored["labelled_by"], stored["source"]) == (STAFF, "slack")
    assert stored["text"] == "I want to talk to a human"
    assert stored["model"]["intent"] == "human_handoff"

    # The same choice again changes nothing and says so, privately.
    await slack.select(
        "intent_label", f"{handoff_trace['id']}:billing_issue", user=STAFF, message_ts=ts
    )
    assert "already labelled `billing_issue`" in await _whisper(fake_slack, STAFF, 1)
    # A second person relabels: the same row, their name.
    await slack.select(
        "intent_label", f"{handoff_trace['id']}:refund_request", user="UBOB", message_ts=ts
    )
    await fake_slack.wait_for(
        lambda: (
            fake_slack.posted(channel=SUPPORT, thread_ts=ts)
            and any("<@UBOB> corrected" in c.args["text"] for c in fake_slack.posted(thread_ts=ts))
        ),
        what="the second acknowledgement",
    )
    [relabelled] = await _corrections(http, admin_headers)
    assert (relabelled["id"], relabelled["intent"]) == (stored["id"], "refund_request")

    # The card shows the correction when it is next drawn (here: taken).
    await slack.click("handoff_take", str(turn["conversation_id"]), user=STAFF, message_ts=ts)
    await fake_slack.wait_for(
        lambda: (
            "refund_request (corrected by <@UBOB>; the bot said human_handoff"
            in fake_slack.text_of(SUPPORT, ts)
        ),
        what="the redrawn card",
    )
    assert _menu(fake_slack, ts)["options"] == menu["options"]  # still offered


async def test_only_staff_may_label_and_only_known_turns_and_intents(
    http: httpx.AsyncClient,
    slack: SlackSender,
    fake_slack: FakeSlack,
    admin_headers: dict[str, str],
) -> None:
    sam = await open_webchat(http, "cus_sam")
    await sam.say("can I speak to a real person")
    ts = await handoff_card(fake_slack)
    value = next(
        o["value"] for o in _menu(fake_slack, ts)["options"] if o["value"].endswith(":faq")
    )
    trace_id = value.split(":")[0]

    # Someone outside the support channel (and not an approver) is refused.
    await slack.select("intent_label", value, user="URANDOM", message_ts=ts, channel="CRANDOM")
    assert "Only staff in <#CSUPPORT>" in await _whisper(fake_slack, "URANDOM", 1)
    # A tampered or outdated menu: an intent the policy lacks, a turn that is gone.
    await slack.select("intent_label", f"{trace_id}:weather", user=STAFF, message_ts=ts)
    assert "no intent `weather`" in await _whisper(fake_slack, STAFF, 1)
    await slack.select("intent_label", "987654:faq", user=STAFF, message_ts=ts)
    assert "turn 987654 not found" in await _whisper(fake_slack, STAFF, 2)
    assert await _corrections(http, admin_headers) == []

    # An approver may label from anywhere, like the slash command.
    await slack.select("intent_label", value, user=APPROVER, message_ts=ts, channel="CRANDOM")
    await fake_slack.wait_for(
        lambda: any(
            f"<@{APPROVER}> corrected" in c.args["text"] for c in fake_slack.posted(thread_ts=ts)
        ),
        what="the approver's acknowledgement",
    )
    [stored] = await _corrections(http, admin_headers)
    assert (stored["intent"], stored["labelled_by"]) == ("faq", APPROVER)


def test_the_menu_on_the_card_keeps_within_slacks_limits() -> None:
    base = HandoffCard(
        conversation_id=7,
        customer="cus_maria",
        channel="webchat",
        intent="faq",
        reason="customer_request",
        summary="wants a person",
        admin_url="http://x/api/admin/conversations/7",
        confidence=0.42,
        intents=("faq", "billing_issue", "x" * 200),
    )

    def menu(card: HandoffCard) -> Any:
        found = [b for b in render(card)[1] if b.get("block_id") == "intent_label"]
        return found[0]["accessory"] if found else None

    assert menu(base) is None  # no turn to label
    card = replace(base, trace_id=41)
    assert [o["value"] for o in menu(card)["options"]] == ["41:faq", "41:billing_issue"]
    assert menu(replace(card, closed="resolved", closed_by="UALEX")) is not None
    assert menu(replace(card, intents=())) is None
    assert "faq (42%)" in json.dumps(render(card)[1])
    corrected = replace(card, corrected="billing_issue", corrected_by="UALEX")
    assert "billing_issue (corrected by <@UALEX>; the bot said faq (42%))" in json.dumps(
        render(corrected)[1]
    )
