"""The Slack entry of the channel table: customers in Slack, and the staff desk on it.

Slack is on when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set; the staff channel
(SLACK_SUPPORT_CHANNEL) is required with them. The desk is made when the channel starts:
it works on the running engine, database and policy.
"""

from __future__ import annotations

from bots.slack.channel import SlackChannel
from switchboard.channels.ports import ChannelPorts
from switchboard.desk.cards import CardReader
from switchboard.desk.slack_desk import StaffDesk
from switchboard.settings import ConfigError, Settings


class Slack:
    name = "slack"

    def __init__(self, settings: Settings) -> None:
        token, secret = settings.slack_bot_token, settings.slack_signing_secret
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
                "config error: SLACK_SUPPORT_CHANNEL: the staff channel id (C…) is required "
                "for Slack"
            )
        self._public_url = settings.public_url  # the cards' links
        self.channel = SlackChannel(
            bot_token=token.get_secret_value(),
            signing_secret=secret.get_secret_value(),
            support_channel=settings.slack_support_channel,
            api_url=settings.slack_api_url,
            app_token=(
                settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
            ),
        )
        self.adapter = self.channel.adapter
        self.routers = (self.channel.router,)
        self._desk: StaffDesk | None = None

    async def start(self, ports: ChannelPorts) -> None:
        desk = StaffDesk(
            sessions=ports.sessions,
            engine=ports.engine,
            policy=ports.policy,
            handoffs=ports.handoffs,
            poster=self.channel.poster,
            cards=CardReader(self._public_url, tuple(ports.policy.intents), ports.translator),
            translator=ports.translator,
        )
        await desk.start()
        self._desk = desk
        await self.channel.start(ports.engine, desk)

    async def stop(self) -> None:
        await self.channel.stop()
        if self._desk is not None:
            await self._desk.stop()
            self._desk = None
