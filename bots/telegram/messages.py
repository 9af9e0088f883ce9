"""Customer messages in private chats: text, captions and media, into the engine.

Deliberately not handled (so aiogram leaves them alone): group and channel posts (a
support conversation holds account details), and edited messages, which are not even
requested (`allowed_updates`): the original was already answered, and re-running a turn
on an edit could act twice (a second ticket, a second refund request).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from bots.base import EngineHandle
from bots.telegram.adapter import TelegramAdapter
from bots.telegram.inbound import from_message, is_customer_chat


def create_router() -> Router:
    router = Router(name="telegram-messages")

    @router.message(is_customer_chat)
    async def customer_message(
        message: Message, engine: EngineHandle, adapter: TelegramAdapter
    ) -> None:
        submitted = await engine.submit(from_message(message))
        if not submitted.duplicate and submitted.route != "throttled":
            adapter.start_typing(str(message.chat.id))

    return router
