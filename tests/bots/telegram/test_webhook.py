"""Webhook mode end to end: real app, real aiogram client, fake Bot API, both databases."""

from __future__ import annotations

import asyncio

import httpx

from storage.models import OutboundStatus
from tests.bots.telegram.conftest import (
    MARIA,
    SECRET,
    SEED,
    STRANGER,
    conversation_of,
    link,
    post_update,
    telegram_rows,
)
from tests.support.fake_telegram import FakeTelegram, message_update
from tests.support.server import LiveServer


async def maria_ticket(http: httpx.AsyncClient, admin_headers: dict[str, str]) -> str:
    response = await http.get(
        "/api/admin/tickets", params={"customer": "cus_maria"}, headers=admin_headers
    )
    tickets = response.json()["tickets"]
    assert len(tickets) == 1, tickets
    return str(tickets[0]["number"])


async def test_linked_maria_gets_her_ticket_number(
    server: LiveServer,
    http: httpx.AsyncClient,
    fake_telegram: FakeTelegram,
    admin_headers: dict[str, str],
) -> None:
    await link(server, "cus_maria", MARIA)

    response = await post_update(http, message_update(MARIA, SEED, message_id=1))

    assert response.status_code == 200 and response.json() == {"ok": True}
    [sent] = await fake_telegram.wait_for("sendMessage", chat_id=MARIA)
    number = await maria_ticket(http, admin_headers)
    assert number in sent.text and "duplicate charge" in sent.text
    typing = fake_telegram.calls_of("sendChatAction", MARIA)
    assert typing and typing[0].params["action"] == "typing"
    assert fake_telegram.calls.index(typing[0]) < fake_telegram.calls.index(sent)


async def test_the_webhook_answers_before_the_turn_runs(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    """Acknowledged after the inbox insert: the reply is sent after the 200, not before."""
    await link(server, "cus_maria", MARIA)
    response = await post_update(http, message_update(MARIA, SEED, message_id=2))
    assert response.status_code == 200
    assert fake_telegram.calls_of("sendMessage") == []
    await fake_telegram.wait_for("sendMessage", chat_id=MARIA)


async def test_wrong_or_missing_secret_is_refused_and_nothing_stored(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    update = message_update(MARIA, SEED, message_id=3)
    for secret in (None, "", "wrong-secret", SECRET + "x", SECRET[:-1]):
        response = await post_update(http, update, secret=secret)
        assert response.status_code == 401, secret
        assert "X-Telegram-Bot-Api-Secret-Token" in response.json()["error"]
    await asyncio.sleep(0.2)
    assert await telegram_rows(server) == []
    assert fake_telegram.calls_of("sendMessage") == []


async def test_bad_bodies_get_4xx_json(server: LiveServer, http: httpx.AsyncClient) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    for body in ("{not json", "[]", '{"message": {}}', '{"update_id": 5, "message": 7}'):
        response = await http.post("/telegram/webhook", content=body, headers=headers)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]
    assert await telegram_rows(server) == []


async def test_a_replayed_update_gets_one_reply(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    await link(server, "cus_maria", MARIA)
    update = message_update(MARIA, SEED, message_id=4)

    first, second = await asyncio.gather(post_update(http, update), post_update(http, update))
    third = await post_update(http, update)

    assert {first.status_code, second.status_code, third.status_code} == {200}
    await fake_telegram.wait_for("sendMessage", chat_id=MARIA)
    await asyncio.sleep(0.3)
    assert len(fake_telegram.calls_of("sendMessage", MARIA)) == 1
    inbound = [m for m in await telegram_rows(server) if m.direction == "inbound"]
    assert [m.channel_message_id for m in inbound] == [f"{MARIA}:4"]


async def test_stickers_and_photos_get_a_clear_answer(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
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
    await post_update(http, message_update(STRANGER, message_id=5, extra=sticker))

    [sent] = await fake_telegram.wait_for("sendMessage", chat_id=STRANGER)
    assert "only read text" in sent.text
    [inbound] = [m for m in await telegram_rows(server) if m.direction == "inbound"]
    assert inbound.text == ""


async def test_group_chats_are_ignored(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    update = message_update(MARIA, SEED, message_id=6, chat_type="group", chat_id=-100123)
    response = await post_update(http, update)
    assert response.status_code == 200
    await asyncio.sleep(0.3)
    assert await telegram_rows(server) == []
    assert fake_telegram.calls_of("sendMessage") == []


async def test_an_unlinked_user_gets_no_account_workflow(
    server: LiveServer,
    http: httpx.AsyncClient,
    fake_telegram: FakeTelegram,
    admin_headers: dict[str, str],
) -> None:
    await post_update(http, message_update(STRANGER, SEED, message_id=7))

    [sent] = await fake_telegram.wait_for("sendMessage", chat_id=STRANGER)
    assert "SB-" not in sent.text
    tickets = await http.get(
        "/api/admin/tickets", params={"customer": "cus_maria"}, headers=admin_headers
    )
    assert tickets.json()["tickets"] == []
    conversation = await conversation_of(server, STRANGER)
    assert conversation.customer_id is None


async def test_rate_limit_is_honoured_then_delivered_once(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.fail_next("sendMessage", status=429, retry_after=1)
    await post_update(http, message_update(STRANGER, "hello", message_id=8))

    calls = await fake_telegram.wait_for("sendMessage", 2, chat_id=STRANGER)
    await asyncio.sleep(0.3)
    calls = fake_telegram.calls_of("sendMessage", STRANGER)
    assert len(calls) == 2 and calls[0].result is None and calls[1].result is not None
    gap = (
        fake_telegram.call_times[fake_telegram.calls.index(calls[1])]
        - (fake_telegram.call_times[fake_telegram.calls.index(calls[0])])
    )
    assert gap >= 0.95  # retry_after=1, not the engine's 0.05 s default backoff
    [reply] = [m for m in await telegram_rows(server) if m.direction == "outbound"]
    assert reply.status == OutboundStatus.delivered and reply.attempts == 1


async def test_a_user_who_blocked_the_bot_is_recorded_not_retried(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.block(STRANGER)
    await post_update(http, message_update(STRANGER, "hello", message_id=9))

    await fake_telegram.wait_for("sendMessage", chat_id=STRANGER)
    await asyncio.sleep(0.5)
    assert len(fake_telegram.calls_of("sendMessage", STRANGER)) == 1
    [reply] = [m for m in await telegram_rows(server) if m.direction == "outbound"]
    assert reply.status == OutboundStatus.failed
    conversation = await conversation_of(server, STRANGER)
    assert conversation.delivery_error and "blocked" in conversation.delivery_error


async def test_a_long_reply_is_split_on_paragraphs(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    await post_update(http, message_update(STRANGER, "hello", message_id=10))
    await fake_telegram.wait_for("sendMessage", chat_id=STRANGER)
    conversation = await conversation_of(server, STRANGER)
    paragraphs = [f"Paragraph {n}: " + "x" * 1500 for n in range(6)]

    await server.runtime.engine.send_staff_reply(conversation.id, "\n\n".join(paragraphs))  # type: ignore[arg-type]

    parts = [c.text for c in fake_telegram.calls_of("sendMessage", STRANGER)[1:]]
    assert len(parts) == 3 and all(len(p) <= 4096 for p in parts)
    assert parts == ["\n\n".join(paragraphs[i : i + 2]) for i in (0, 2, 4)]
