"""The channel table: which channels run, and the one way each is assembled.

A channel is built in two phases. From settings alone: its name, the adapter the engine
delivers through, and its HTTP routes (webhooks), so the app can include them before
anything runs. Then, once the runtime is open, it is started with `ChannelPorts`, the
parts of the running system it uses; routes built earlier reach the engine through the
started channel. A channel whose credentials are absent is simply off; web chat is
always on.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import ChannelAdapter
from graph.policy import Policy
from switchboard.desk.handoffs import HandoffDesk
from switchboard.desk.translations import StaffTranslator
from switchboard.engine.core import Engine
from switchboard.engine.delivery import DeliveryPolicy
from switchboard.runtime import Runtime, open_runtime
from switchboard.settings import Settings


@dataclass(frozen=True)
class ChannelPorts:
    """What a channel is started with."""

    engine: Engine
    """Where messages go in (`submit`, `handle`); the desk decides approvals with it."""
    sessions: async_sessionmaker[AsyncSession]
    """The database: web chat sessions, Telegram account links, the staff desk."""
    policy: Policy
    """Its languages word the channels' own answers; its approvers guard the desk."""
    handoffs: HandoffDesk
    """Staff actions on handoffs, which Slack's staff desk shares with the console."""
    translator: StaffTranslator
    """Customer messages translated for staff (Slack's cards, as the console's)."""


class Channel(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def adapter(self) -> ChannelAdapter:
        """What the engine delivers this channel's replies through."""
        ...

    @property
    def routers(self) -> Sequence[APIRouter]:
        """Its HTTP routes (webhooks), served from before it starts."""
        ...

    async def start(self, ports: ChannelPorts) -> None: ...

    async def stop(self) -> None:
        """Safe to call when `start` was not (a start-up that failed half-way)."""
        ...


def build_channels(settings: Settings) -> list[Channel]:
    """Web chat always; Telegram with TELEGRAM_BOT_TOKEN (its webhook also needs
    TELEGRAM_WEBHOOK_SECRET); Slack and its staff desk with SLACK_BOT_TOKEN and
    SLACK_SIGNING_SECRET. Imported here, so a channel that is off costs no import."""
    from switchboard.channels.webchat import Webchat

    channels: list[Channel] = [Webchat(settings)]
    if settings.telegram_bot_token:
        from switchboard.channels.telegram import Telegram

        channels.append(Telegram(settings))
    if settings.slack_bot_token or settings.slack_signing_secret:
        from switchboard.channels.slack import Slack

        channels.append(Slack(settings))
    return channels


@asynccontextmanager
async def run_channels(
    settings: Settings,
    channels: Sequence[Channel],
    *,
    db: AsyncEngine | None = None,
    delivery: DeliveryPolicy | None = None,
) -> AsyncIterator[Runtime]:
    """The runtime, delivering through the channels' adapters, with every channel
    started on it; the channels stop (last first) before it closes."""
    adapters = {channel.name: channel.adapter for channel in channels}
    async with open_runtime(settings, db=db, adapters=adapters, delivery=delivery) as runtime:
        ports = ChannelPorts(
            runtime.engine, runtime.sessions, runtime.policy, runtime.handoffs, runtime.translator
        )
        try:
            for channel in channels:
                await channel.start(ports)
            yield runtime
        finally:
            for channel in reversed(channels):
                await channel.stop()
