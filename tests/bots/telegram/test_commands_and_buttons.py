"""/start, /link <code>, and quick-reply buttons (inline keyboard → callback query)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from storage import customers, link_codes
from storage.db import transaction
from storage.models import Direction, Identity
from tests.bots.telegram.conftest import SEED, Telegram, new_user
from tests.conftest import ADMIN_TOKEN
from tests.support.fake_telegram import callback_update, message_update


async def issue_code(
    telegram: Telegram, user_id: str, ttl: timedelta = timedelta(minutes=5)
) -> str:
    async with transaction(telegram.server.runtime.sessions) as session:
        customer = await customers.get_customer_by_user_id(session, user_id)
        assert customer is not None
        code, _ = await link_codes.issue_link_code(session, customer, ttl=ttl)
    return code


async def linked_customer(telegram: Telegram, telegram_id: int) -> int | None:
    async with telegram.server.runtime.sessions() as session:
        rows = await session.exec(
            select(Identity.customer_id).where(
                Identity.channel == "telegram", Identity.channel_user_id == str(telegram_id)
            )
        )
        return rows.first()


async def test_start_greets_with_a_menu_keyboard(telegram: Telegram) -> None:
    user = new_user()
    await telegram.post(message_update(user, "/start", message_id=1))

    [sent] = await telegram.fake.wait_for("sendMessage", chat_id=user)
    assert sent.text.startswith("Hi")
    buttons = [row[0]["text"] for row in sent.params["reply_markup"]["inline_keyboard"]]
    assert "Where is my order?" in buttons
    [inbound] = [m for m in await telegram.rows(user) if m.direction == Direction.inbound]
    assert inbound.text == "Hello" and inbound.channel_message_id == f"{user}:1"


async def test_a_button_press_becomes_the_next_message(telegram: Telegram) -> None:
    user = new_user()
    await telegram.post(message_update(user, "hello", message_id=2))
    [menu] = await telegram.fake.wait_for("sendMessage", chat_id=user)
    keyboard = menu.params["reply_markup"]["inline_keyboard"]
    index = [row[0]["text"] for row in keyboard].index("Where is my order?")
    query_id = f"q-{user}"
    press = callback_update(
        user, data=keyboard[index][0]["callback_data"], message=menu.result, query_id=query_id
    )

    assert (await telegram.post(press)).status_code == 200
    assert (await telegram.post(press)).status_code == 200  # Telegram retried

    await telegram.fake.wait_for("sendMessage", 2, chat_id=user)
    await telegram.fake.wait_for("answerCallbackQuery", callback_query_id=query_id)
    [removed, *_] = await telegram.fake.wait_for("editMessageReplyMarkup", chat_id=user)
    assert removed.params["message_id"] == str(menu.result["message_id"])
    await asyncio.sleep(0.3)
    inbound = [m for m in await telegram.rows(user) if m.direction == Direction.inbound]
    assert [(m.channel_message_id, m.text) for m in inbound] == [
        (f"{user}:2", "hello"),
        (f"cb:{query_id}", "Where is my order?"),
    ]
    assert len(telegram.fake.calls_of("sendMessage", user)) == 2


async def test_a_stale_button_is_answered_not_stored(telegram: Telegram) -> None:
    user = new_user()
    message = {"message_id": 1, "date": 0, "chat": {"id": user, "type": "private"}}
    query_id = f"stale-{user}"
    await telegram.post(callback_update(user, data="qr:0", message=message, query_id=query_id))
    [answered] = await telegram.fake.wait_for("answerCallbackQuery", callback_query_id=query_id)
    assert "expired" in answered.params["text"]
    assert await telegram.rows(user) == []


async def test_link_code_verifies_the_telegram_user(telegram: Telegram) -> None:
    maria, stranger = new_user(), new_user()
    code = await issue_code(telegram, "cus_maria")

    await telegram.post(message_update(maria, f"/link {code.lower()}", message_id=1))
    [linked] = await telegram.fake.wait_for("sendMessage", chat_id=maria)
    assert "linked to Maria" in linked.text

    await telegram.post(message_update(maria, SEED, message_id=2))
    [_, reply] = await telegram.fake.wait_for("sendMessage", 2, chat_id=maria)
    assert "SB-" in reply.text

    # The code was used: nobody else can take over Maria's account with it.
    await telegram.post(message_update(stranger, f"/link {code}", message_id=3))
    [refused] = await telegram.fake.wait_for("sendMessage", chat_id=stranger)
    assert "not valid" in refused.text
    assert await linked_customer(telegram, maria) is not None
    assert await linked_customer(telegram, stranger) is None


async def test_start_with_a_deep_link_code_links_and_greets_by_name(telegram: Telegram) -> None:
    user = new_user()
    code = await issue_code(telegram, "cus_maria")
    await telegram.post(message_update(user, f"/start {code.replace('-', '')}", message_id=1))
    texts = [c.text for c in await telegram.fake.wait_for("sendMessage", 2, chat_id=user)]
    assert any("linked to Maria" in t for t in texts)
    assert any(t.startswith("Hi Maria") for t in texts)


async def test_bad_and_expired_codes_are_refused(telegram: Telegram) -> None:
    user = new_user()
    expired = await issue_code(telegram, "cus_maria", ttl=timedelta(seconds=-1))
    for number, text in enumerate(["/link", "/link nonsense", f"/link {expired}"], start=1):
        await telegram.post(message_update(user, text, message_id=number))
    sent = await telegram.fake.wait_for("sendMessage", 3, chat_id=user)
    assert "send /link followed by the code" in sent[0].text
    assert all("not valid" in c.text for c in sent[1:])
    assert await linked_customer(telegram, user) is None
    assert await telegram.rows(user) == []


async def test_the_admin_api_issues_link_codes(telegram: Telegram) -> None:
    user = new_user()
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    missing = await telegram.http.post("/api/admin/customers/cus_nobody/link-codes", headers=admin)
    assert missing.status_code == 404 and missing.json()["error"]
    unauthorized = await telegram.http.post("/api/admin/customers/cus_sam/link-codes")
    assert unauthorized.status_code == 401

    issued = await telegram.http.post("/api/admin/customers/cus_sam/link-codes", headers=admin)
    assert issued.status_code == 201
    await telegram.post(message_update(user, f"/link {issued.json()['code']}", message_id=1))
    [linked] = await telegram.fake.wait_for("sendMessage", chat_id=user)
    assert "linked to Sam" in linked.text


async def test_the_channels_own_answers_are_in_the_users_app_language(telegram: Telegram) -> None:
    user = new_user()
    spanish = {"from": {"id": user, "is_bot": False, "first_name": "Ana", "language_code": "es"}}
    await telegram.post(message_update(user, "/link", message_id=1, extra=spanish))
    [usage] = await telegram.fake.wait_for("sendMessage", chat_id=user)
    assert usage.text.startswith("Para vincular tu cuenta de cliente, envía /link")

    code = await issue_code(telegram, "cus_maria")
    await telegram.post(message_update(user, f"/link {code}", message_id=2, extra=spanish))
    [_, linked] = await telegram.fake.wait_for("sendMessage", 2, chat_id=user)
    assert linked.text.startswith("Listo: esta cuenta de Telegram ya está vinculada")
    assert "Maria" in linked.text
