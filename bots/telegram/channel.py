"""The Telegram channel assembled: Bot client, Dispatcher with one Router per feature,
the delivery adapter, the webhook route and long polling."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from fastapi import APIRouter

from bots.base import EngineHandle
from bots.telegram import buttons, commands, messages
from bots.telegram.adapter import TelegramAdapter
from bots.telegram.polling import ALLOWED_UPDATES, poll
from bots.telegram.ports import AccountLinks, UpdateCursor, Wording, in_english
from bots.telegram.webhook import create_webhook_router


def create_bot(token: str, api_url: str | None = None) -> Bot:
    """A Bot on its own aiohttp session; `api_url` points it at a local Bot API server
    (or the tests' fake). Raises aiogram's TokenValidationError on a malformed token."""
    api = TelegramAPIServer.from_base(api_url) if api_url else PRODUCTION
    return Bot(token=token, session=AiohttpSession(api=api))


def create_dispatcher(adapter: TelegramAdapter) -> Dispatcher:
    """Dependencies reach handlers through the dispatcher's workflow data, by name: the
    adapter now, the engine, account links and wording when the channel starts."""
    dispatcher = Dispatcher(adapter=adapter)
    dispatcher.include_routers(
        commands.create_router(), buttons.create_router(), messages.create_router()
    )
    return dispatcher


async def register_webhook(bot: Bot, url: str, secret: str) -> None:
    """Tell Telegram where to POST updates, with the secret it must echo back in
    X-Telegram-Bot-Api-Secret-Token. Pending updates are kept, not dropped."""
    await bot.set_webhook(
        url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False
    )


class TelegramChannel:
    """Built from its settings (the webhook route can be served before anything runs),
    then started with what its handlers use."""

    def __init__(
        self, *, token: str, api_url: str | None = None, webhook_secret: str | None = None
    ) -> None:
        self.bot = create_bot(token, api_url)
        self.adapter = TelegramAdapter(self.bot)
        self.dispatcher = create_dispatcher(self.adapter)
        self._webhook_secret = webhook_secret

    def start(
        self, *, engine: EngineHandle, accounts: AccountLinks, wording: Wording = in_english
    ) -> None:
        self.dispatcher.workflow_data.update(engine=engine, accounts=accounts, wording=wording)

    def webhook_router(self) -> APIRouter:
        return create_webhook_router(
            dispatcher=self.dispatcher, bot=self.bot, secret=self._webhook_secret
        )

    async def poll(self, cursor: UpdateCursor, *, timeout: int = 30) -> None:
        await poll(self.bot, self.dispatcher, cursor, timeout=timeout)

    async def close(self) -> None:
        await self.adapter.close()
