"""A Telegram customer handed to a person answering from the admin API (no Slack): the
honest wait, who joined, the staff reply on Telegram exactly once, and the rating."""

from __future__ import annotations

from tests.bots.telegram.conftest import Telegram, new_user
from tests.conftest import ADMIN_TOKEN
from tests.support.fake_telegram import message_update

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_a_person_answers_a_telegram_customer(telegram: Telegram) -> None:
    await telegram.server.add_staff()
    maria = new_user()
    await telegram.post(message_update(maria, "I want to talk to a human", message_id=1))
    [asked] = await telegram.fake.wait_for("sendMessage", chat_id=maria)
    assert "waiting for a person" in asked.text
    await telegram.post(message_update(maria, "It's about order 1042", message_id=2))
    conversation = await telegram.conversation(maria)
    cid = conversation.id

    listed = (await telegram.http.get("/api/admin/handoffs", headers=ADMIN)).json()
    mine = [h for h in listed["handoffs"] if h["conversation_id"] == cid]
    assert mine and mine[0]["channel"] == "telegram"

    took = await telegram.http.post(
        f"/api/admin/conversations/{cid}/take", json={"staff": "Dana"}, headers=ADMIN
    )
    assert took.status_code == 200
    await telegram.fake.wait_for("sendMessage", 2, chat_id=maria)
    sent = await telegram.http.post(
        f"/api/admin/conversations/{cid}/messages",
        json={"text": "Hi, Dana here: checking 1042."},
        headers=ADMIN,
    )
    assert sent.status_code == 201
    await telegram.fake.wait_for("sendMessage", 3, chat_id=maria)
    resolved = await telegram.http.post(f"/api/admin/conversations/{cid}/resolve", headers=ADMIN)
    assert resolved.status_code == 200
    await telegram.fake.wait_for("sendMessage", 5, chat_id=maria)

    texts = telegram.fake.sent_texts(maria)
    assert texts[1] == "Dana from our team joined the conversation."
    assert texts.count("Hi, Dana here: checking 1042.") == 1  # exactly once
    assert "resolved" in texts[3] and "rate" in texts[4]
    assert len(texts) == 5  # the message written while waiting got no bot answer
