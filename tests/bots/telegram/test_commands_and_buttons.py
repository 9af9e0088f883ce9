"""/start, /link <code>, and quick-reply buttons (inline keyboard → callback query)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlmodel import select

from storage import customers, link_codes
from storage.db import transaction
from storage.models import Identity
from tests.bots.telegram.conftest import MARIA, SEED, STRANGER, post_update, telegram_rows
from tests.support.fake_telegram import FakeTelegram, callback_update, message_update
from tests.support.server import LiveServer


async def issue_code(
    server: LiveServer, user_id: str, ttl: timedelta = timedelta(minutes=5)
) -> str:
    async with transaction(server.runtime.sessions) as session:
        customer = await customers.get_customer_by_user_id(session, user_id)
        assert customer is not None
        code, _ = await link_codes.issue_link_code(session, customer, ttl=ttl)
    return code


async def identities(server: LiveServer) -> list[tuple[str, int]]:
    async with server.runtime.sessions() as session:
        rows = await session.exec(select(Identity).where(Identity.channel == "telegram"))
        return [(r.channel_user_id, r.customer_id) for r in rows.all()]


async def test_start_greets_with_a_menu_keyboard(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    await post_update(http, message_update(STRANGER, "/start", message_id=1))

    [sent] = await fake_telegram.wait_for("sendMessage", chat_id=STRANGER)
    assert sent.text.startswith("Hi")
    buttons = [row[0]["text"] for row in sent.params["reply_markup"]["inline_keyboard"]]
    assert "Where is my order?" in buttons
    [inbound] = [m for m in await telegram_rows(server) if m.direction == "inbound"]
    assert inbound.text == "Hello" and inbound.channel_message_id == f"{STRANGER}:1"


async def test_a_button_press_becomes_the_next_message(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    await post_update(http, message_update(STRANGER, "hello", message_id=2))
    [menu] = await fake_telegram.wait_for("sendMessage", chat_id=STRANGER)
    keyboard = menu.params["reply_markup"]["inline_keyboard"]
    index = [row[0]["text"] for row in keyboard].index("Where is my order?")
    press = callback_update(
        STRANGER, data=keyboard[index][0]["callback_data"], message=menu.result, query_id="q-77"
    )

    assert (await post_update(http, press)).status_code == 200
    assert (await post_update(http, press)).status_code == 200  # Telegram retried

    await fake_telegram.wait_for("sendMessage", 2, chat_id=STRANGER)
    answered = await fake_telegram.wait_for("answerCallbackQuery")
    assert {c.params["callback_query_id"] for c in answered} == {"q-77"}  # no endless spinner
    removed = await fake_telegram.wait_for("editMessageReplyMarkup")
    assert removed[0].params["message_id"] == str(menu.result["message_id"])
    await asyncio.sleep(0.3)
    inbound = [m for m in await telegram_rows(server) if m.direction == "inbound"]
    assert [(m.channel_message_id, m.text) for m in inbound] == [
        (f"{STRANGER}:2", "hello"),
        ("cb:q-77", "Where is my order?"),
    ]
    assert len(fake_telegram.calls_of("sendMessage", STRANGER)) == 2


async def test_a_stale_button_is_answered_not_stored(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    message = {"message_id": 1, "date": 0, "chat": {"id": STRANGER, "type": "private"}}
    await post_update(http, callback_update(STRANGER, data="qr:0", message=message, query_id="q1"))
    [answered] = await fake_telegram.wait_for("answerCallbackQuery")
    assert "expired" in answered.params["text"]
    assert await telegram_rows(server) == []


async def test_link_code_verifies_the_telegram_user(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    code = await issue_code(server, "cus_maria")

    await post_update(http, message_update(MARIA, f"/link {code.lower()}", message_id=1))
    [linked] = await fake_telegram.wait_for("sendMessage", chat_id=MARIA)
    assert "linked to Maria" in linked.text

    await post_update(http, message_update(MARIA, SEED, message_id=2))
    [_, reply] = await fake_telegram.wait_for("sendMessage", 2, chat_id=MARIA)
    assert "SB-" in reply.text and "duplicate charge" in reply.text

    # The code was used: nobody else can take over Maria's account with it.
    await post_update(http, message_update(STRANGER, f"/link {code}", message_id=3))
    [refused] = await fake_telegram.wait_for("sendMessage", chat_id=STRANGER)
    assert "not valid" in refused.text
    maria_id = (await identities(server))[0][1]
    assert await identities(server) == [(str(MARIA), maria_id)]


async def test_start_with_a_deep_link_code_links_and_greets_by_name(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    code = await issue_code(server, "cus_maria")
    await post_update(http, message_update(MARIA, f"/start {code.replace('-', '')}", message_id=1))
    sent = await fake_telegram.wait_for("sendMessage", 2, chat_id=MARIA)
    texts = sorted(c.text for c in sent)
    assert any("linked to Maria" in t for t in texts)
    assert any(t.startswith("Hi Maria") for t in texts)


async def test_bad_and_expired_codes_are_refused(
    server: LiveServer, http: httpx.AsyncClient, fake_telegram: FakeTelegram
) -> None:
    expired = await issue_code(server, "cus_maria", ttl=timedelta(seconds=-1))
    for number, text in enumerate(["/link", "/link nonsense", f"/link {expired}"], start=1):
        await post_update(http, message_update(STRANGER, text, message_id=number))
    sent = await fake_telegram.wait_for("sendMessage", 3, chat_id=STRANGER)
    assert "send /link followed by the code" in sent[0].text
    assert all("not valid" in c.text for c in sent[1:])
    assert await identities(server) == []
    assert await telegram_rows(server) == []
