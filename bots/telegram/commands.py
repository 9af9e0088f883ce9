"""Commands: `/start` greets (and redeems a deep-link code), `/link <code>` links accounts.

`/start` is the customer's hello: it goes through the engine as "Hello" so the greeting
workflow answers and the transcript shows the conversation began. `/link` is answered
directly: it is about the Telegram account, not a support question.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from bots.base import EngineHandle
from bots.telegram.adapter import TelegramAdapter
from bots.telegram.inbound import CHANNEL, from_message, is_customer_chat
from bots.telegram.ports import N_, AccountLinks, Wording

START_TEXT = "Hello"

LINK_USAGE = N_(
    "To link your customer account, send /link followed by the code from your account "
    "page or from our support team, for example: /link K7P2-QX9M"
)
LINK_FAILED = N_(
    "That link code is not valid or has expired. Please ask for a new one and send "
    "/link <code> again."
)


LINKED = N_(
    "Done: this Telegram account is now linked to {name}'s customer account, so I can "
    "look into your payments and orders. How can I help?"
)


def create_router() -> Router:
    router = Router(name="telegram-commands")

    @router.message(CommandStart(), is_customer_chat)
    async def start(
        message: Message,
        command: CommandObject,
        engine: EngineHandle,
        adapter: TelegramAdapter,
        accounts: AccountLinks,
        wording: Wording,
    ) -> None:
        if command.args:  # t.me/<bot>?start=<code>: a link code from the website
            await _link(message, command.args, adapter, accounts, wording)
        submitted = await engine.submit(from_message(message, text=START_TEXT))
        if not submitted.duplicate:
            adapter.start_typing(str(message.chat.id))

    @router.message(Command("link"), is_customer_chat)
    async def link(
        message: Message,
        command: CommandObject,
        adapter: TelegramAdapter,
        accounts: AccountLinks,
        wording: Wording,
    ) -> None:
        if not command.args:
            usage = wording(LINK_USAGE, _locale(message))
            adapter.in_background(message.answer(usage), "link_usage")
            return
        await _link(message, command.args, adapter, accounts, wording)

    return router


def _locale(message: Message) -> str | None:
    return message.from_user.language_code if message.from_user else None


async def _link(
    message: Message, code: str, adapter: TelegramAdapter, accounts: AccountLinks, wording: Wording
) -> None:
    assert message.from_user is not None
    name = await accounts.redeem(
        code.strip(), channel=CHANNEL, channel_user_id=str(message.from_user.id)
    )
    locale = _locale(message)
    answer = wording(LINKED, locale).format(name=name) if name else wording(LINK_FAILED, locale)
    adapter.in_background(message.answer(answer), "link_answer")
