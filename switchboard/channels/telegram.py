"""The Telegram entry of the channel table, with SQL implementations of its ports
(`bots.telegram.ports`: account links by one-time code, the polling cursor), and the
long-polling process behind `switchboard telegram poll`."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.telegram import TelegramChannel
from graph.i18n import said_in
from graph.policy import Policy
from storage import cursors, link_codes
from storage.db import transaction
from switchboard.channels.ports import ChannelPorts
from switchboard.settings import Settings

log = structlog.get_logger(__name__)

POLLING_CURSOR = "telegram:updates"


class SqlAccountLinks:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def redeem(self, code: str, *, channel: str, channel_user_id: str) -> str | None:
        async with transaction(self._sessions) as session:
            customer = await link_codes.redeem_link_code(
                session, code, channel=channel, channel_user_id=channel_user_id
            )
            if customer is None:
                return None
            return (customer.name or customer.user_id).split()[0]


class CatalogueWording:
    """The channel's own answers (/link, an expired button) from the catalogues, in the
    sender's app language where the policy speaks it, else the policy's default."""

    def __init__(self, policy: Policy) -> None:
        self._languages = policy.languages or [policy.language]
        self._default = policy.language

    def __call__(self, text: str, locale: str | None) -> str:
        code = (locale or "").replace("_", "-").split("-")[0].lower()
        language = code if code in self._languages else self._default
        return said_in(text, language, self._default)


class SqlUpdateCursor:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], name: str = POLLING_CURSOR
    ) -> None:
        self._sessions = sessions
        self._name = name

    async def load(self) -> int | None:
        async with self._sessions() as session:
            return await cursors.get_cursor(session, self._name)

    async def save(self, update_id: int) -> None:
        async with transaction(self._sessions) as session:
            await cursors.set_cursor(session, self._name, update_id)


class Telegram:
    """The Telegram entry of the channel table (TELEGRAM_BOT_TOKEN set; settings checked
    its shape): the webhook route, and the handlers started on the running engine."""

    name = "telegram"

    def __init__(self, settings: Settings) -> None:
        assert settings.telegram_bot_token is not None
        secret = settings.telegram_webhook_secret
        if secret is None:
            log.warning(
                "telegram.webhook_disabled",
                reason="TELEGRAM_WEBHOOK_SECRET is not set; POST /telegram/webhook answers 401 "
                "(use `switchboard telegram poll`, or set the secret and `set-webhook`)",
            )
        self.channel = TelegramChannel(
            token=settings.telegram_bot_token.get_secret_value(),
            api_url=settings.telegram_api_url,
            webhook_secret=secret.get_secret_value() if secret else None,
        )
        self.adapter = self.channel.adapter
        self.routers = (self.channel.webhook_router(),)

    async def start(self, ports: ChannelPorts) -> None:
        self.channel.start(
            engine=ports.engine,
            accounts=SqlAccountLinks(ports.sessions),
            wording=CatalogueWording(ports.policy),
        )

    async def stop(self) -> None:
        await self.channel.close()
