"""Long polling, for development and for deployments without a public URL.

The webhook is deleted first (Telegram refuses getUpdates while one is set). Each
batch is fed to the dispatcher (which only inserts into the inbox) and the last update id
is saved; after a restart polling resumes right after it. An update that fails to be
stored stops the batch: the cursor stays before it and it is fetched again after a pause.
"""

from __future__ import annotations

import asyncio

import structlog
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from bots.telegram.ports import UpdateCursor

log = structlog.get_logger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
"""Edited messages, channel posts, reactions… are not requested at all."""


async def poll(
    bot: Bot,
    dispatcher: Dispatcher,
    cursor: UpdateCursor,
    *,
    timeout: int = 30,
    pause_s: float = 1.0,
    max_pause_s: float = 30.0,
) -> None:
    """Run until cancelled."""
    await bot.delete_webhook(drop_pending_updates=False)
    last = await cursor.load()
    log.info("telegram.polling", resume_after=last)
    pause = pause_s
    while True:
        try:
            updates = await bot.get_updates(
                offset=last + 1 if last is not None else None,
                timeout=timeout,
                allowed_updates=ALLOWED_UPDATES,
                request_timeout=timeout + 10,
            )
        except TelegramRetryAfter as exc:
            await asyncio.sleep(exc.retry_after)
            continue
        except TelegramAPIError as exc:
            log.warning("telegram.get_updates_failed", error=str(exc)[:200], pause_s=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, max_pause_s)
            continue
        pause = pause_s
        stored = last
        try:
            for update in updates:
                await dispatcher.feed_update(bot, update)
                stored = update.update_id
        except Exception as exc:
            log.exception("telegram.update_failed", error=type(exc).__name__, pause_s=pause)
            await asyncio.sleep(pause)
        finally:
            if stored is not None and stored != last:
                await cursor.save(stored)
                last = stored
