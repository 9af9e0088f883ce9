"""Handoffs in Slack: web chat customer → support thread → staff reply → back to the bot."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import httpx

from switchboard.desk.handoffs import RESOLVED_TEXT, RETURNED_TEXT
from tests.bots.slack.conftest import (
    SEED,
    STAFF,
    SUPPORT,
    SlackSender,
    handoff_card,
    wait_for_history,
)
from tests.conftest import open_webchat
from tests.support.fake_slack import FakeSlack


async def _conversation(http: httpx.AsyncClient, cid: int, headers: dict[str, str]) -> Any:
    response = await http.get(f"/api/admin/conversations/{cid}", headers=headers)
    return response.json()["conversation"]


async def test_full_handoff_round_trip(
    http: httpx.AsyncClient,
    slack: SlackSender,
    fake_slack: FakeSlack,
    admin_headers: dict[str, str],
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want to talk to a human")
    assert turn["mode"] == "human"

    ts = await handoff_card(fake_slack)
    card = fake_slack.text_of(SUPPORT, ts)
    assert "cus_maria" in card and "webchat" in card
    assert "human_handoff" in card  # the intent
    assert "I want to talk to a human" in card  # the transcript
    assert "SB-" in card  # the handoff's ticket

    await maria.say("My parcel never arrived, order 1042.")
    relayed = await fake_slack.wait_for(
        lambda: [
            c for c in fake_slack.posted(channel=SUPPORT, thread_ts=ts) if "1042" in c.args["text"]
        ],
        what="the relayed customer message",
    )
    assert "cus_maria" in relayed[0].args["text"]

    assert (
        await slack.thread_reply(STAFF, ts, "Hi Maria, I'm on it &amp; checking")
    ).status_code == 200
    seen = await wait_for_history(maria, fake_slack, lambda m: m["role"] == "staff")
    assert seen[0]["text"] == "Hi Maria, I'm on it & checking"
    conversation = await _conversation(http, turn["conversation_id"], admin_headers)
    assert conversation["assignee"] == STAFF  # the first to answer took it
    await fake_slack.wait_for(lambda: f"Taken by <@{STAFF}>" in fake_slack.text_of(SUPPORT, ts))

    assert (
        await slack.click(
            "handoff_resolve", str(turn["conversation_id"]), user=STAFF, message_ts=ts
        )
    ).status_code == 200
    await wait_for_history(maria, fake_slack, lambda m: m["text"] == RESOLVED_TEXT)
    await fake_slack.wait_for(lambda: f"Resolved by <@{STAFF}>" in fake_slack.text_of(SUPPORT, ts))
    assert (await maria.history())["mode"] == "bot"

    after = await maria.say("Where is my order?")
    assert after["mode"] == "bot" and after["replies"]  # the bot answers again


async def test_take_stores_the_assignee_and_return_to_bot_tells_the_customer_once(
    http: httpx.AsyncClient,
    slack: SlackSender,
    fake_slack: FakeSlack,
    admin_headers: dict[str, str],
) -> None:
    sam = await open_webchat(http, "cus_sam")
    turn = await sam.say("can I speak to a real person")
    cid = turn["conversation_id"]
    ts = await handoff_card(fake_slack)

    await slack.click("handoff_take", str(cid), user="UALEX", message_ts=ts)
    await fake_slack.wait_for(lambda: "Taken by <@UALEX>" in fake_slack.text_of(SUPPORT, ts))
    assert (await _conversation(http, cid, admin_headers))["assignee"] == "UALEX"
    assert fake_slack.posted(channel=SUPPORT, thread_ts=ts, text="<@UALEX> took this conversation.")

    first = await slack.click("handoff_return", str(cid), user="UALEX", message_ts=ts)
    second = await slack.click("handoff_return", str(cid), user="UBOB", message_ts=ts)
    assert first.status_code == second.status_code == 200
    await wait_for_history(sam, fake_slack, lambda m: m["text"] == RETURNED_TEXT)
    await fake_slack.wait_for(lambda: fake_slack.of("chat.postEphemeral"), what="the whisper")
    history = (await sam.history())["messages"]
    assert [m["text"] for m in history].count(RETURNED_TEXT) == 1
    # Slack acknowledges both clicks at once and handles them concurrently: either may win,
    # exactly one does, and the other clicker is told privately.
    [whisper] = fake_slack.of("chat.postEphemeral")
    assert "already back with the bot" in whisper.args["text"]
    winner = "UBOB" if whisper.args["user"] == "UALEX" else "UALEX"
    await fake_slack.wait_for(
        lambda: f"Returned to the bot by <@{winner}>" in fake_slack.text_of(SUPPORT, ts)
    )


async def test_the_seed_ticket_is_posted_for_staff(
    http: httpx.AsyncClient, fake_slack: FakeSlack
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say(SEED)

    posts = await fake_slack.wait_for(
        lambda: [c for c in fake_slack.posted(channel=SUPPORT) if "ticket SB-" in c.args["text"]],
        what="the ticket notification",
    )
    text = fake_slack.text_of(SUPPORT, posts[0].result["ts"])
    number = text.split("ticket ")[1].split()[0]
    assert number in turn["replies"][0]["text"]
    assert "High-priority billing ticket" in text
    assert "cus_maria" in text
    assert "€59.90" in text
    assert f"/api/admin/conversations/{turn['conversation_id']}" in text


async def test_an_open_widget_hears_the_hand_back_from_slack(
    http: httpx.AsyncClient, slack: SlackSender, fake_slack: FakeSlack
) -> None:
    """The mode change reaches the widget as its own event, before the staff desk's
    "back with the bot" message (the socket no longer re-reads the mode after every
    message)."""
    sam = await open_webchat(http, "cus_sam")
    cid = (await sam.say("can I speak to a real person"))["conversation_id"]
    ts = await handoff_card(fake_slack)
    url = str(http.base_url).replace("http://", "ws://") + f"/api/webchat/ws?token={sam.token}"
    async with aiohttp.ClientSession() as aio, aio.ws_connect(url) as ws:
        frames = [json.loads((await ws.receive(timeout=10)).data)]
        assert frames[0] == {**frames[0], "type": "ready", "mode": "human"}
        await slack.click("handoff_return", str(cid), user="UALEX", message_ts=ts)
        while not any(f.get("message", {}).get("text") == RETURNED_TEXT for f in frames):
            frames.append(json.loads((await ws.receive(timeout=10)).data))
    kinds = [f["type"] for f in frames if f["type"] in ("mode", "message")]
    assert kinds == ["mode", "message"]
    assert [f["mode"] for f in frames if f["type"] == "mode"] == ["bot"]


async def test_slack_and_the_admin_api_work_on_the_same_handoff(
    http: httpx.AsyncClient,
    slack: SlackSender,
    fake_slack: FakeSlack,
    admin_headers: dict[str, str],
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want to talk to a human")
    cid = turn["conversation_id"]
    ts = await handoff_card(fake_slack)

    # The console (here: its API) answers first, so it has the handoff; Slack sees it all.
    sent = await http.post(
        f"/api/admin/conversations/{cid}/messages",
        json={"text": "Hi Maria, Anna here.", "staff": "Anna"},
        headers=admin_headers,
    )
    assert sent.status_code == 201
    await fake_slack.wait_for(lambda: "Taken by Anna" in fake_slack.text_of(SUPPORT, ts))
    await fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.posted(channel=SUPPORT, thread_ts=ts)
            if "Anna" in c.args["text"] and "Hi Maria, Anna here." in c.args["text"]
        ],
        what="the console reply in the thread",
    )
    note = await http.post(
        f"/api/admin/conversations/{cid}/notes",
        json={"text": "VIP, be quick", "staff": "Anna"},
        headers=admin_headers,
    )
    assert note.status_code == 201
    await fake_slack.wait_for(
        lambda: [
            c
            for c in fake_slack.posted(channel=SUPPORT, thread_ts=ts)
            if "internal note" in c.args["text"] and "VIP, be quick" in c.args["text"]
        ],
        what="the note in the thread",
    )

    # A Slack reply after that goes to the customer and shows in the admin API as staff's.
    assert (await slack.thread_reply(STAFF, ts, "And Bob from Slack.")).status_code == 200
    seen = await wait_for_history(maria, fake_slack, lambda m: m["text"] == "And Bob from Slack.")
    assert seen
    detail = (await http.get(f"/api/admin/conversations/{cid}", headers=admin_headers)).json()
    staff_rows = [(m["author"], m["text"]) for m in detail["messages"] if m["role"] == "staff"]
    assert staff_rows == [("Anna", "Hi Maria, Anna here."), (STAFF, "And Bob from Slack.")]
    assert detail["conversation"]["assignee"] == "Anna"  # the first to reply keeps it
    customer_sees = [m["text"] for m in (await maria.history())["messages"]]
    assert customer_sees.count("Hi Maria, Anna here.") == 1
    assert "VIP, be quick" not in customer_sees


async def test_the_handoff_card_names_the_customers_language(
    http: httpx.AsyncClient, fake_slack: FakeSlack
) -> None:
    visitor = await open_webchat(http, "cus_maria")
    turn = await visitor.say("Hola, quiero hablar con una persona de vuestro equipo, por favor")
    assert turn["mode"] == "human"

    card = fake_slack.text_of(SUPPORT, await handoff_card(fake_slack))
    assert "Spanish" in card
