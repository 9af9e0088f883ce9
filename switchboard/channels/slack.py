"""The Slack entry of the channel table: customers in Slack, and the staff desk on it.

Slack is on when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set; the staff channel
(SLACK_SUPPORT_CHANNEL) is required with them. The desk starts once the rest of the
system runs (it needs the engine, the database and the policy).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bots.base import EngineHandle
from bots.slack.channel import SlackChannel
from switchboard.desk.slack_desk import StaffDesk
from switchboard.settings import ConfigError, Settings

if TYPE_CHECKING:
    from switchboard.runtime import Runtime


class SlackWithDesk:
    """Slack's customers and the staff desk on it: what the channel table runs for Slack."""

    def __init__(self, channel: SlackChannel) -> None:
        self.channel = channel
        self._desks: list[StaffDesk] = []

    async def attach(self, runtime: Runtime) -> None:
        desk = StaffDesk(runtime, self.channel.poster)
        self.channel.attach(desk)
        self._desks.append(desk)
        await desk.start()

    async def stop(self) -> None:
        await self.channel.stop()
        for desk in self._desks:
            await desk.stop()


def slack_with_desk(settings: Settings, engine: EngineHandle) -> SlackWithDesk | None:
    """The Slack channel and its staff desk, or None when Slack is not configured."""
    token, secret = settings.slack_bot_token, settings.slack_signing_secret
    if token is None and secret is None:
        return None
    if token is None:
        raise ConfigError(
            "config error: SLACK_BOT_TOKEN: required when SLACK_SIGNING_SECRET is set"
        )
    if secret is None:
        raise ConfigError(
            "config error: SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set"
        )
    if not settings.slack_support_channel:
        raise ConfigError(
            "config error: SLACK_SUPPORT_CHANNEL: the staff channel id (C…) is required for Slack"
        )
    channel = SlackChannel(
        engine=engine,
        bot_token=token.get_secret_value(),
        signing_secret=secret.get_secret_value(),
        support_channel=settings.slack_support_channel,
        api_url=settings.slack_api_url,
        app_token=settings.slack_app_token.get_secret_value() if settings.slack_app_token else None,
    )
    return SlackWithDesk(channel)
