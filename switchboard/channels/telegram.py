"""The Telegram channel built from settings, with SQL implementations of its ports
(`bots.telegram.ports`: account links by one-time code, the polling cursor), and the
long-polling process behind `switchboard telegram poll`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import EngineHandle, InboundMessage, TurnResult
from bots.telegram import TelegramChannel
from graph.i18n import said_in
from graph.policy import Policy
from storage import cursors, link_codes
from storage.db import transaction
from switchboard.engine.core import DeliveryPolicy
from switchboard.runtime import Runtime, open_runtime
from switchboard.settings import Settings

log = structlog.get_logger(__name__)

POLLING_CURSOR = "telegram:updates"


class SqlAccountLinks:
    """Bound to the database once the runtime is up (routes are built before it)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession] | None = None) -> None:
        self._sessions = sessions

    def bind(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def redeem(self, code: str, *, channel: str, channel_user_id: str) -> str | None:
        if self._sessions is None:
            raise RuntimeError("account links used before the runtime started")
        async with transaction(self._sessions) as session:
            customer = await link_codes.redeem_link_code(
                session, code, channel=channel, channel_user_id=channel_user_id
            )
            if customer is None:
                return None
            return (customer.name or customer.user_id).split()[0]


class CatalogueWording:
    """The channel's own answers (/link, an expired button) from the catalogues, in the
    sender's app language where the policy speaks it, else the policy's default. Bound
    to the policy once the runtime is up; English until then."""

    def __init__(self) -> None:
        self._languages: list[str] = []
        self._default = "en"

    def bind(self, policy: Policy) -> None:
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


def telegram_channel(
    settings: Settings,
    engine: EngineHandle,
    accounts: SqlAccountLinks,
    wording: CatalogueWording | None = None,
) -> TelegramChannel:
    """Only call with TELEGRAM_BOT_TOKEN set (settings validated its shape)."""
    assert settings.telegram_bot_token is not None
    secret = settings.telegram_webhook_secret
    if secret is None:
        log.warning(
            "telegram.webhook_disabled",
            reason="TELEGRAM_WEBHOOK_SECRET is not set; POST /telegram/webhook answers 401 "
            "(use `switchboard telegram poll`, or set the secret and `set-webhook`)",
        )
    return TelegramChannel(
        token=settings.telegram_bot_token.get_secret_value(),
        engine=engine,
        accounts=accounts,
        api_url=settings.telegram_api_url,
        webhook_secret=secret.get_secret_value() if secret else None,
        wording=wording or CatalogueWording(),
    )


class _LateEngine:
    """The channel is built before the runtime (whose engine needs the channel's adapter);
    this forwards to the engine once it exists."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None

    async def submit(self, message: InboundMessage) -> TurnResult:
        assert self.runtime is not None, "engine not started"
        return await self.runtime.engine.submit(message)

    async def handle(self, message: InboundMessage, *, timeout: float = 30.0) -> TurnResult:
        assert self.runtime is not None, "engine not started"
        return await self.runtime.engine.handle(message, timeout=timeout)


@asynccontextmanager
async def polling_runtime(
    settings: Settings, *, delivery: DeliveryPolicy | None = None
) -> AsyncIterator[tuple[Runtime, TelegramChannel]]:
    """A runtime whose only extra channel is Telegram, ready for `channel.poll(...)`."""
    engine = _LateEngine()
    accounts = SqlAccountLinks()
    wording = CatalogueWording()
    channel = telegram_channel(settings, engine, accounts, wording)
    try:
        async with open_runtime(
            settings, extra_adapters={channel.adapter.name: channel.adapter}, delivery=delivery
        ) as runtime:
            engine.runtime = runtime
            accounts.bind(runtime.sessions)
            wording.bind(runtime.policy)
            yield runtime, channel
    finally:
        await channel.close()


async def run_polling(
    settings: Settings, *, timeout: int = 30, delivery: DeliveryPolicy | None = None
) -> None:
    """Poll until cancelled (Ctrl-C); resumes after the last stored update."""
    async with polling_runtime(settings, delivery=delivery) as (runtime, channel):
        await channel.poll(SqlUpdateCursor(runtime.sessions), timeout=timeout)
