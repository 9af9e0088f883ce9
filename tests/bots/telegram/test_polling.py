"""Long polling (`switchboard telegram poll`): deletes the webhook, replies, and resumes
after the last processed update when restarted, on both databases."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlmodel import select

from storage import cursors, customers
from storage.db import create_engine, session_factory, transaction
from storage.models import Message
from switchboard.channels.table import run_polling
from switchboard.channels.telegram import POLLING_CURSOR
from switchboard.engine.delivery import DeliveryPolicy
from switchboard.settings import Settings
from tests.bots.telegram.conftest import MARIA, SEED
from tests.support.fake_telegram import FakeTelegram, message_update


@asynccontextmanager
async def polling(settings: Settings) -> AsyncIterator[None]:
    task = asyncio.create_task(
        run_polling(settings, timeout=1, delivery=DeliveryPolicy(first_backoff_s=0.05))
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def link_maria(database_url: str) -> None:
    db = create_engine(database_url)
    try:
        async with transaction(session_factory(db)) as session:
            maria = await customers.get_customer_by_user_id(session, "cus_maria")
            assert maria is not None
            await customers.link_identity(
                session, customer=maria, channel="telegram", channel_user_id=str(MARIA)
            )
    finally:
        await db.dispose()


async def stored(database_url: str) -> tuple[int | None, list[str]]:
    db = create_engine(database_url)
    try:
        async with session_factory(db)() as session:
            cursor = await cursors.get_cursor(session, POLLING_CURSOR)
            rows = await session.exec(
                select(Message.channel_message_id).where(
                    Message.channel == "telegram", Message.direction == "inbound"
                )
            )
            return cursor, [str(r) for r in rows.all()]
    finally:
        await db.dispose()


async def test_polling_answers_maria_survives_an_outage_and_resumes_after_restart(
    settings: Settings, database_url: str, fake_telegram: FakeTelegram
) -> None:
    await link_maria(database_url)
    fake_telegram.webhook = {"url": "https://old.example/telegram/webhook"}
    fake_telegram.fail_next("getUpdates", status=502, retry_after=None, description="Bad Gateway")
    fake_telegram.push_update(message_update(MARIA, SEED, message_id=1, update_id=1001))

    async with polling(settings):
        [reply] = await fake_telegram.wait_for("sendMessage", chat_id=MARIA)
        assert "SB-" in reply.text and "duplicate charge" in reply.text
        assert fake_telegram.calls_of("deleteWebhook") and fake_telegram.webhook == {}
        assert fake_telegram.calls_of("getUpdates")[0].result is None  # the outage, survived
        for _ in range(100):  # the cursor is saved right after the batch is stored
            if (await stored(database_url))[0] == 1001:
                break
            await asyncio.sleep(0.05)
    assert await stored(database_url) == (1001, [f"{MARIA}:1"])

    # While we were down Telegram kept 1001 (as if unconfirmed) and got a new message.
    fake_telegram.push_update(message_update(MARIA, SEED, message_id=1, update_id=1001))
    fake_telegram.push_update(message_update(MARIA, "thanks", message_id=2, update_id=1002))
    first_call = len(fake_telegram.calls)
    async with polling(settings):
        await fake_telegram.wait_for("sendMessage", 2, chat_id=MARIA)
        restarted = [c for c in fake_telegram.calls[first_call:] if c.method == "getUpdates"]
        assert restarted[0].params["offset"] == "1002"
        await asyncio.sleep(0.3)

    texts = fake_telegram.sent_texts(MARIA)
    assert len(texts) == 2 and "welcome" in texts[1].lower()
    cursor, inbound = await stored(database_url)
    assert cursor == 1002 and inbound == [f"{MARIA}:1", f"{MARIA}:2"]
