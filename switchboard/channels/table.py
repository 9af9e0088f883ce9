"""The channel table: which adapters run, built from settings.

One entry per channel. A channel whose credentials are absent is simply off. Each entry
contributes an adapter (for delivery), optional HTTP routes (webhooks) and optional
start/stop hooks (client sessions, socket-mode connections).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import APIRouter

from bots.base import ChannelAdapter, EngineHandle
from switchboard.settings import Settings

if TYPE_CHECKING:
    from switchboard.runtime import Runtime

Hook = Callable[[], Awaitable[None]]
RuntimeHook = Callable[["Runtime"], Awaitable[None]]


@dataclass
class ChannelSetup:
    adapters: dict[str, ChannelAdapter] = field(default_factory=dict)
    routers: list[APIRouter] = field(default_factory=list)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    on_runtime: list[RuntimeHook] = field(default_factory=list)
    """Start hooks that need the running system (engine, database, policy): the staff desk."""


def build_channels(settings: Settings, engine: EngineHandle) -> ChannelSetup:
    """Web chat is always on (see `switchboard.app`); the rest depend on credentials."""
    setup = ChannelSetup()
    if settings.telegram_bot_token:  # bots/telegram; webhook also needs TELEGRAM_WEBHOOK_SECRET
        _add_telegram(settings, engine, setup)
    # Slack (bots/slack + the staff desk): SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET.
    if settings.slack_bot_token or settings.slack_signing_secret:
        _add_slack(settings, engine, setup)
    return setup


def _add_slack(settings: Settings, engine: EngineHandle, setup: ChannelSetup) -> None:
    from switchboard.channels.slack import slack_with_desk

    slack = slack_with_desk(settings, engine)
    if slack is None:
        return
    setup.adapters["slack"] = slack.channel.adapter
    setup.routers.append(slack.channel.router)
    setup.on_runtime.append(slack.attach)
    setup.on_start.append(slack.channel.start)
    setup.on_stop.append(slack.stop)


def _add_telegram(settings: Settings, engine: EngineHandle, setup: ChannelSetup) -> None:
    from switchboard.channels.telegram import CatalogueWording, SqlAccountLinks, telegram_channel

    accounts = SqlAccountLinks()
    wording = CatalogueWording()
    channel = telegram_channel(settings, engine, accounts, wording)
    setup.adapters[channel.adapter.name] = channel.adapter
    setup.routers.append(channel.webhook_router())

    async def attach(runtime: Runtime) -> None:
        accounts.bind(runtime.sessions)
        wording.bind(runtime.policy)

    setup.on_runtime.append(attach)
    setup.on_stop.append(channel.close)
