"""A fake Telegram Bot API per test, and the real app configured to use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from storage import customers
from storage.db import transaction
from storage.models import Conversation, Message
from switchboard.settings import Settings
from tests.conftest import make_settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.server import LiveServer

TOKEN = "123456789:TEST-token_for-the-fake"
SECRET = "test-webhook-secret_1"
MARIA = 424242
"""Maria's Telegram user id (and private chat id)."""
STRANGER = 515151
SEED = "My payment failed twice, but I was still charged. I need this fixed today."


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings(database_url: str, fake_telegram: FakeTelegram) -> Settings:
    return make_settings(
        database_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_API_URL=fake_telegram.url,
    )


async def post_update(
    http: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET
) -> httpx.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return await http.post("/telegram/webhook", json=update, headers=headers)


async def link(server: LiveServer, user_id: str, telegram_id: int) -> None:
    """What `switchboard customers link cus_maria --channel telegram ...` does."""
    async with transaction(server.runtime.sessions) as session:
        customer = await customers.get_customer_by_user_id(session, user_id)
        assert customer is not None
        await customers.link_identity(
            session, customer=customer, channel="telegram", channel_user_id=str(telegram_id)
        )


async def telegram_rows(server: LiveServer) -> list[Message]:
    async with server.runtime.sessions() as session:
        result = await session.exec(select(Message).where(Message.channel == "telegram"))
        return list(result.all())


async def conversation_of(server: LiveServer, chat_id: int) -> Conversation:
    async with server.runtime.sessions() as session:
        result = await session.exec(
            select(Conversation).where(
                Conversation.channel == "telegram", Conversation.channel_chat_id == str(chat_id)
            )
        )
        found = result.first()
    assert found is not None
    return found
