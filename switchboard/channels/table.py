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

from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.channels.ports import Channel, ChannelPorts
from switchboard.engine.delivery import DeliveryPolicy
from switchboard.runtime import Runtime, open_runtime
from switchboard.settings import Settings


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


async def run_polling(
    settings: Settings, *, timeout: int = 30, delivery: DeliveryPolicy | None = None
) -> None:
    """`switchboard telegram poll`: poll until cancelled (Ctrl-C), resuming after the last
    stored update. Web chat runs beside it, as in the server: replies made here reach the
    widget's sockets."""
    from switchboard.channels.telegram import SqlUpdateCursor, Telegram
    from switchboard.channels.webchat import Webchat

    telegram = Telegram(settings)
    channels: list[Channel] = [Webchat(settings), telegram]
    async with run_channels(settings, channels, delivery=delivery) as runtime:
        await telegram.channel.poll(SqlUpdateCursor(runtime.sessions), timeout=timeout)
