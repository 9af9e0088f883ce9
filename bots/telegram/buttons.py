"""Quick-reply buttons: a press becomes the customer's next message.

The press is stored first (so a webhook retry is deduplicated by the callback query id),
then answered (Telegram shows a spinner until answerCallbackQuery) and the keyboard is
removed so the same choice cannot be sent twice by accident.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bots.base import EngineHandle
from bots.telegram.adapter import TelegramAdapter
from bots.telegram.inbound import QUICK_REPLY_PREFIX, button_text, from_callback
from bots.telegram.ports import N_, Wording

EXPIRED = N_("This button has expired. Please type your message instead.")


def create_router() -> Router:
    router = Router(name="telegram-buttons")

    @router.callback_query(F.data.startswith(QUICK_REPLY_PREFIX))
    async def quick_reply(
        query: CallbackQuery, engine: EngineHandle, adapter: TelegramAdapter, wording: Wording
    ) -> None:
        text = button_text(query)
        inbound = from_callback(query, text) if text else None
        if inbound is None:
            expired = wording(EXPIRED, query.from_user.language_code)
            adapter.in_background(query.answer(expired), "answer_expired_button")
            return
        submitted = await engine.submit(inbound)
        adapter.in_background(query.answer(), "answer_callback")
        if isinstance(query.message, Message):
            adapter.in_background(
                query.message.edit_reply_markup(reply_markup=None), "remove_keyboard"
            )
        if not submitted.duplicate:
            adapter.start_typing(inbound.channel_chat_id)

    return router
