"""Delivery to Telegram: `OutboundMessage` → sendMessage, and the typing indicator.

The outbox has fitted each message to `capabilities` (4096 characters, quick replies as
an inline keyboard), so one `send` is one sendMessage.

Platform errors become the engine's two kinds: `DeliveryFailed` (429 with its
`retry_after`, network, 5xx: retry later) and `DeliveryRefused` (403 blocked by the user,
400 chat not found: never retry; the engine records it on the conversation).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Coroutine
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)

from bots.base import (
    ChannelCapabilities,
    Delivered,
    DeliveryFailed,
    DeliveryRefused,
    OutboundMessage,
)
from bots.telegram.inbound import CHANNEL, MAX_TEXT, quick_reply_keyboard

log = structlog.get_logger(__name__)

TYPING_EVERY_S = 4.5
"""Telegram shows "typing…" for 5 s or until the next message; refresh just before."""
TYPING_AT_MOST_S = 30.0
"""A turn that produces no reply (human mode, a crash) must not type forever."""


class TelegramAdapter:
    name = CHANNEL
    capabilities = ChannelCapabilities(max_text_length=MAX_TEXT, quick_replies=True)
    """Telegram documents no limit on a keyboard's buttons or their labels."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._typing: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()

    async def send(self, message: OutboundMessage) -> Delivered:
        self.stop_typing(message.channel_chat_id)
        result = await self._call(
            self.bot.send_message(
                chat_id=int(message.channel_chat_id),
                text=message.text,
                reply_markup=quick_reply_keyboard(message.quick_replies),
            )
        )
        return Delivered((str(result.message_id),))

    async def _call(self, request: Coroutine[Any, Any, Any]) -> Any:
        try:
            return await request
        except TelegramRetryAfter as exc:
            raise DeliveryFailed(
                f"telegram: rate limited, retry after {exc.retry_after} s",
                retry_after=float(exc.retry_after),
            ) from exc
        except (TelegramForbiddenError, TelegramMigrateToChat, TelegramNotFound) as exc:
            raise DeliveryRefused(f"telegram: {exc.message}") from exc
        except TelegramBadRequest as exc:
            # The same request will get the same answer ("chat not found", bad markup).
            raise DeliveryRefused(f"telegram: {exc.message}") from exc
        except TelegramAPIError as exc:  # network, 5xx, 401 while the token is fixed
            raise DeliveryFailed(f"telegram: {type(exc).__name__}: {exc.message}") from exc

    # --- typing indicator --------------------------------------------------------------

    def start_typing(self, chat_id: str) -> None:
        """Show "typing…" in the chat until a reply is sent there (or TYPING_AT_MOST_S)."""
        self.stop_typing(chat_id)
        task = asyncio.create_task(self._type(chat_id))
        self._typing[chat_id] = task
        task.add_done_callback(lambda done: self._forget_typing(chat_id, done))

    def _forget_typing(self, chat_id: str, task: asyncio.Task[None]) -> None:
        if self._typing.get(chat_id) is task:
            del self._typing[chat_id]

    def stop_typing(self, chat_id: str) -> None:
        task = self._typing.pop(chat_id, None)
        if task is not None:
            task.cancel()

    async def _type(self, chat_id: str) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + TYPING_AT_MOST_S
        while loop.time() < until:
            try:
                await self.bot.send_chat_action(chat_id=int(chat_id), action="typing")
            except TelegramAPIError as exc:  # cosmetic: never worth more than a log line
                log.info("telegram.typing_failed", error=type(exc).__name__)
                return
            await asyncio.sleep(TYPING_EVERY_S)

    # --- side calls that must not hold up the webhook ----------------------------------

    def in_background(self, call: Awaitable[Any], what: str) -> None:
        """Run a cosmetic platform call (answer a button press, remove a keyboard) after
        the webhook has been acknowledged; failures are logged, not raised."""

        async def run() -> None:
            try:
                await call
            except TelegramAPIError as exc:
                log.info("telegram.side_call_failed", call=what, error=str(exc)[:200])

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Stop typing, let side calls finish, close the HTTP session."""
        for chat_id in list(self._typing):
            self.stop_typing(chat_id)
        if self._background:
            await asyncio.wait(list(self._background), timeout=5)
        with contextlib.suppress(Exception):
            await self.bot.session.close()
