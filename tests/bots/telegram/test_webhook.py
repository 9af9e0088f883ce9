"""Webhook mode end to end: real app, real aiogram client, fake Bot API, both databases."""

from __future__ import annotations

import asyncio

import httpx

from storage.models import Direction, OutboundStatus
from tests.bots.telegram.conftest import SECRET, SEED, Telegram, new_user, telegram_settings
from tests.conftest import ADMIN_TOKEN
from tests.support.databases import DatabaseFactory
from tests.support.fake_telegram import FakeTelegram, message_update
from tests.support.server import run_server

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def maria_ticket_numbers(telegram: Telegram) -> list[str]:
    response = await telegram.http.get(
        "/api/admin/tickets", params={"customer": "cus_maria"}, headers=ADMIN
    )
    return [str(t["number"]) for t in response.json()["tickets"]]


async def test_linked_maria_gets_her_ticket_number(telegram: Telegram) -> None:
    maria = new_user()
    await telegram.link("cus_maria", maria)

    response = await telegram.post(message_update(maria, SEED, message_id=1))

    assert response.status_code == 200 and response.json() == {"ok": True}
    [sent] = await telegram.fake.wait_for("sendMessage", chat_id=maria)
    numbers = await maria_ticket_numbers(telegram)
    assert len(numbers) == 1 and numbers[0] in sent.text
    assert "duplicate charge" in sent.text
    typing = telegram.fake.calls_of("sendChatAction", maria)
    assert typing and typing[0].params["action"] == "typing"
    assert telegram.fake.calls.index(typing[0]) < telegram.fake.calls.index(sent)
    conversation = await telegram.conversation(maria)
    assert conversation.customer_id is not None


async def test_the_webhook_answers_before_the_turn_runs(telegram: Telegram) -> None:
    """Acknowledged after the inbox insert: the reply is sent after the 200, not before."""
    user = new_user()
    response = await telegram.post(message_update(user, SEED, message_id=1))
    assert response.status_code == 200
    assert telegram.fake.calls_of("sendMessage", user) == []
    await telegram.fake.wait_for("sendMessage", chat_id=user)


async def test_wrong_or_missing_secret_is_refused_and_nothing_stored(telegram: Telegram) -> None:
    user = new_user()
    update = message_update(user, SEED, message_id=1)
    for secret in (None, "", "wrong-secret", SECRET + "x", SECRET[:-1], SECRET.upper()):
        response = await telegram.post(update, secret=secret)
        assert response.status_code == 401, secret
        assert "X-Telegram-Bot-Api-Secret-Token" in response.json()["error"]
    await asyncio.sleep(0.2)
    assert await telegram.rows(user) == []
    assert telegram.fake.calls_of("sendMessage", user) == []


async def test_bad_bodies_get_4xx_json(telegram: Telegram) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    for body in ("{not json", "[]", '{"message": {}}', '{"update_id": 5, "message": 7}'):
        response = await telegram.http.post("/telegram/webhook", content=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]


async def test_a_replayed_update_gets_one_reply(telegram: Telegram) -> None:
    user = new_user()
    update = message_update(user, SEED, message_id=4)

    first, second = await asyncio.gather(telegram.post(update), telegram.post(update))
    third = await telegram.post(update)

    assert {first.status_code, second.status_code, third.status_code} == {200}
    await telegram.fake.wait_for("sendMessage", chat_id=user)
    await asyncio.sleep(0.3)
    assert len(telegram.fake.calls_of("sendMessage", user)) == 1
    inbound = [m for m in await telegram.rows(user) if m.direction == Direction.inbound]
    assert [m.channel_message_id for m in inbound] == [f"{user}:4"]


async def test_stickers_and_photos_get_a_clear_answer(telegram: Telegram) -> None:
    user = new_user()
    sticker = {
        "sticker": {
            "file_id": "STK1",
            "file_unique_id": "u1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
    }
    photo = {"photo": [{"file_id": "PH1", "file_unique_id": "p1", "width": 90, "height": 90}]}
    await telegram.post(message_update(user, message_id=1, extra=sticker))
    [sent] = await telegram.fake.wait_for("sendMessage", chat_id=user)
    assert "only read text" in sent.text

    # A photo with a caption: the caption is the question.
    await telegram.post(
        message_update(user, message_id=2, extra={**photo, "caption": "where is my order?"})
    )
    await telegram.fake.wait_for("sendMessage", 2, chat_id=user)
    inbound = [m for m in await telegram.rows(user) if m.direction == Direction.inbound]
    assert [m.text for m in inbound] == ["", "where is my order?"]
    # Stored with their kind, so staff can see what the customer sent.
    assert inbound[0].attachments[0].startswith("sticker")
    assert inbound[1].attachments[0].startswith("photo")


async def test_group_chats_and_edits_are_ignored(telegram: Telegram) -> None:
    user, group = new_user(), -100_000 - new_user()
    in_group = message_update(user, SEED, message_id=1, chat_type="group", chat_id=group)
    edited = message_update(user, SEED, message_id=2)
    edited["edited_message"] = edited.pop("message")
    for update in (in_group, edited):
        assert (await telegram.post(update)).status_code == 200
    await asyncio.sleep(0.3)
    assert await telegram.rows(group) == [] and await telegram.rows(user) == []
    assert telegram.fake.calls_of("sendMessage", group) == []
    assert telegram.fake.calls_of("sendMessage", user) == []


async def test_an_unlinked_user_gets_no_account_workflow(telegram: Telegram) -> None:
    user = new_user()
    before = await maria_ticket_numbers(telegram)
    await telegram.post(message_update(user, SEED, message_id=1))

    [sent] = await telegram.fake.wait_for("sendMessage", chat_id=user)
    assert "SB-" not in sent.text
    assert await maria_ticket_numbers(telegram) == before
    assert (await telegram.conversation(user)).customer_id is None


async def test_rate_limit_is_honoured_then_delivered_once(telegram: Telegram) -> None:
    user = new_user()
    telegram.fake.fail_next("sendMessage", status=429, retry_after=1, chat_id=user)
    await telegram.post(message_update(user, "hello", message_id=1))

    await telegram.fake.wait_for("sendMessage", 2, chat_id=user)
    await asyncio.sleep(0.3)
    calls = telegram.fake.calls_of("sendMessage", user)
    assert len(calls) == 2 and calls[0].result is None and calls[1].result is not None
    times = telegram.fake.call_times
    index = telegram.fake.calls.index
    assert times[index(calls[1])] - times[index(calls[0])] >= 0.95  # not the 0.05 s backoff
    [reply] = [m for m in await telegram.rows(user) if m.direction == Direction.outbound]
    assert reply.status == OutboundStatus.delivered and reply.attempts == 1


async def test_a_user_who_blocked_the_bot_is_recorded_not_retried(telegram: Telegram) -> None:
    user = new_user()
    telegram.fake.block(user)
    await telegram.post(message_update(user, "hello", message_id=1))

    await telegram.fake.wait_for("sendMessage", chat_id=user)
    await asyncio.sleep(0.5)
    assert len(telegram.fake.calls_of("sendMessage", user)) == 1
    [reply] = [m for m in await telegram.rows(user) if m.direction == Direction.outbound]
    assert reply.status == OutboundStatus.failed
    conversation = await telegram.conversation(user)
    assert conversation.delivery_error and "blocked" in conversation.delivery_error


async def test_a_long_reply_is_split_on_paragraphs(telegram: Telegram) -> None:
    user = new_user()
    await telegram.post(message_update(user, "hello", message_id=1))
    await telegram.fake.wait_for("sendMessage", chat_id=user)
    conversation = await telegram.conversation(user)
    assert conversation.id is not None
    paragraphs = [f"Paragraph {n}: " + "x" * 1500 for n in range(6)]

    await telegram.server.runtime.engine.send_staff_reply(conversation.id, "\n\n".join(paragraphs))

    parts = [c.text for c in telegram.fake.calls_of("sendMessage", user)[1:]]
    assert parts == ["\n\n".join(paragraphs[i : i + 2]) for i in (0, 2, 4)]
    assert all(len(p) <= 4096 for p in parts)


async def test_a_rate_limit_mid_split_does_not_resend_earlier_parts(telegram: Telegram) -> None:
    user = new_user()
    await telegram.post(message_update(user, "hello", message_id=1))
    await telegram.fake.wait_for("sendMessage", chat_id=user)
    conversation = await telegram.conversation(user)
    assert conversation.id is not None
    paragraphs = [f"Part {n}: " + "y" * 3000 for n in range(3)]
    telegram.fake.fail_next("sendMessage", status=429, retry_after=1, chat_id=user, after=1)

    # Part 0 goes out, part 1 is refused with 429; the retry starts at part 1.
    calls_before = len(telegram.fake.calls_of("sendMessage", user))
    await telegram.server.runtime.engine.send_staff_reply(conversation.id, "\n\n".join(paragraphs))

    calls = telegram.fake.calls_of("sendMessage", user)[calls_before:]
    assert [c.text[:6] for c in calls] == ["Part 0", "Part 1", "Part 1", "Part 2"]
    assert [c.text for c in calls if c.result] == paragraphs


async def test_a_flooding_account_is_throttled_and_told_once(
    sqlite_databases: DatabaseFactory, fake_telegram: FakeTelegram
) -> None:
    """Over the per-sender limit, updates are still acknowledged and stored (no platform
    retry, nothing lost for staff), but not run; the sender is asked once to slow down,
    and another account is not slowed by them."""
    settings = telegram_settings(
        sqlite_databases.fresh(),
        fake_telegram,
        SWITCHBOARD_RATE_LIMIT_PER_S="0.01",
        SWITCHBOARD_RATE_LIMIT_BURST="2",
    )
    flooder, other = new_user(), new_user()
    async with (
        run_server(settings) as server,
        httpx.AsyncClient(base_url=server.url, timeout=30) as http,
    ):
        telegram = Telegram(server, http, fake_telegram)
        texts = ["hi", "where is my order", "hello?", "anyone", "HELLO", "hi"]
        for number, text in enumerate(texts, start=1):
            response = await telegram.post(message_update(flooder, text, message_id=number))
            assert response.status_code == 200
        retried = await telegram.post(message_update(flooder, "HELLO", message_id=5))
        assert retried.status_code == 200
        assert (await telegram.post(message_update(other, "hi", message_id=1))).status_code == 200
        await fake_telegram.wait_for("sendMessage", chat_id=other)
        await asyncio.sleep(0.5)
        rows = await telegram.rows(flooder)

    inbound = [m.status for m in rows if m.direction == Direction.inbound]
    assert inbound == ["processed", "processed", *["throttled"] * 4]
    sent = [str(c.params["text"]) for c in fake_telegram.calls_of("sendMessage", flooder)]
    assert sum("faster than I can read" in text for text in sent) == 1
    assert len(sent) == 3  # two answers and one notice, whatever was retried


async def test_the_users_app_language_is_the_hint_for_a_short_first_message(
    telegram: Telegram,
) -> None:
    from tests.support.fake_telegram import user as telegram_user

    spanish = new_user()
    sender = {**telegram_user(spanish), "language_code": "es"}
    await telegram.post(message_update(spanish, "hola", message_id=1, extra={"from": sender}))
    await telegram.fake.wait_for("sendMessage", chat_id=spanish)

    assert (await telegram.conversation(spanish)).language == "es"
    [inbound] = [m for m in await telegram.rows(spanish) if m.direction == Direction.inbound]
    assert (inbound.locale, inbound.language) == ("es", "es")

    english = new_user()  # an English app, a clearly German message: the message wins
    await telegram.post(
        message_update(english, "Wo ist meine Bestellung? Sie ist nicht angekommen", message_id=1)
    )
    await telegram.fake.wait_for("sendMessage", chat_id=english)
    assert (await telegram.conversation(english)).language == "de"
