"""A fake Telegram Bot API and the real app configured to use it, on both databases.

Webhook tests share one server per module and database kind (starting the app costs
seconds: the classifier is trained at start); each test talks as its own Telegram user,
so tests stay independent. Polling tests start their own runtimes on a fresh database.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlmodel import select

from storage import customers
from storage.db import transaction
from storage.models import Conversation, Message
from switchboard.settings import Settings
from tests.conftest import DB_KINDS, make_settings
from tests.support.fake_telegram import FakeTelegram
from tests.support.server import LiveServer, run_server

TOKEN = "123456789:TEST-token_for-the-fake"
SECRET = "test-webhook-secret_1"
MARIA = 424242
"""Maria's Telegram user id (and private chat id) in the polling tests."""
SEED = "My payment failed twice, but I was still charged. I need this fixed today."

_user_ids = itertools.count(600_001)


def new_user() -> int:
    """A Telegram user (and private chat) id no other test uses."""
    return next(_user_ids)


def telegram_settings(database_url: str, fake: FakeTelegram, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_URL": fake.url,
    }
    values.update(overrides)
    return make_settings(database_url, **values)


@dataclass
class Telegram:
    """The live app, an HTTP client on it, and the fake Bot API it talks to."""

    server: LiveServer
    http: httpx.AsyncClient
    fake: FakeTelegram

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.http.post("/telegram/webhook", json=update, headers=headers)

    async def link(self, user_id: str, telegram_id: int) -> None:
        """What `switchboard customers link <user> --channel telegram ...` does."""
        async with transaction(self.server.runtime.sessions) as session:
            customer = await customers.get_customer_by_user_id(session, user_id)
            assert customer is not None
            await customers.link_identity(
                session, customer=customer, channel="telegram", channel_user_id=str(telegram_id)
            )

    async def rows(self, chat_id: int) -> list[Message]:
        """The chat's stored messages (inbound and outbound), oldest first."""
        async with self.server.runtime.sessions() as session:
            result = await session.exec(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)  # type: ignore[arg-type]
                .where(
                    Conversation.channel == "telegram",
                    Conversation.channel_chat_id == str(chat_id),
                )
                .order_by(Message.id)  # type: ignore[arg-type]
            )
            return list(result.all())

    async def conversation(self, chat_id: int) -> Conversation:
        async with self.server.runtime.sessions() as session:
            result = await session.exec(
                select(Conversation).where(
                    Conversation.channel == "telegram",
                    Conversation.channel_chat_id == str(chat_id),
                )
            )
            found = result.first()
        assert found is not None
        return found


@pytest.fixture(scope="module", params=DB_KINDS)
async def telegram(request: pytest.FixtureRequest) -> AsyncIterator[Telegram]:
    name = "sqlite_databases" if request.param == "sqlite" else "postgres_databases"
    database_url = request.getfixturevalue(name).fresh()
    fake = FakeTelegram(TOKEN)
    await fake.start()
    try:
        async with (
            run_server(telegram_settings(database_url, fake)) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as http,
        ):
            yield Telegram(server, http, fake)
    finally:
        await fake.stop()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram(TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def settings(database_url: str, fake_telegram: FakeTelegram) -> Settings:
    return telegram_settings(database_url, fake_telegram)
