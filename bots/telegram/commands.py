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
from bots.telegram.ports import AccountLinks

START_TEXT = "Hello"

LINK_USAGE = (
    "To link your customer account, send /link followed by the code from your account "
    "page or from our support team, for example: /link K7P2-QX9M"
)
LINK_FAILED = (
    "That link code is not valid or has expired. Please ask for a new one and send "
    "/link <code> again."
)


def linked_text(name: str) -> str:
    return (
        f"Done: this Telegram account is now linked to {name}'s customer account, so I can "
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
    ) -> None:
        if command.args:  # t.me/<bot>?start=<code>: a link code from the website
            await _link(message, command.args, adapter, accounts)
        submitted = await engine.submit(from_message(message, text=START_TEXT))
        if not submitted.duplicate:
            adapter.start_typing(str(message.chat.id))

    @router.message(Command("link"), is_customer_chat)
    async def link(
        message: Message, command: CommandObject, adapter: TelegramAdapter, accounts: AccountLinks
    ) -> None:
        if not command.args:
            adapter.in_background(message.answer(LINK_USAGE), "link_usage")
            return
        await _link(message, command.args, adapter, accounts)

    return router


async def _link(
    message: Message, code: str, adapter: TelegramAdapter, accounts: AccountLinks
) -> None:
    assert message.from_user is not None
    name = await accounts.redeem(
        code.strip(), channel=CHANNEL, channel_user_id=str(message.from_user.id)
    )
    answer = linked_text(name) if name else LINK_FAILED
    adapter.in_background(message.answer(answer), "link_answer")
