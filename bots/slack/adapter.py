"""Delivery to customers who write in Slack (DMs and mentions): `chat.postMessage`.

A customer's chat id is the DM channel (`D123`), or `C123/1700000000.000100` for a
mention in a channel, where the bot answers in the mention's thread.
"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bots.base import (
    ChannelCapabilities,
    Delivered,
    DeliveryFailed,
    DeliveryRefused,
    OutboundMessage,
    split_text,
)
from bots.slack.blocks import escape
from bots.slack.client import TRANSIENT, is_permanent, retry_after, slack_error

MAX_TEXT = 3900
QUICK_REPLY_ACTION = "quick_reply"


def chat_id(channel: str, thread_ts: str | None = None) -> str:
    return f"{channel}/{thread_ts}" if thread_ts else channel


def split_chat_id(value: str) -> tuple[str, str | None]:
    channel, _, thread_ts = value.partition("/")
    return channel, thread_ts or None


def quick_reply_blocks(text: str, replies: tuple[str, ...]) -> list[dict[str, object]]:
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": reply[:75]},
                    "action_id": f"{QUICK_REPLY_ACTION}:{i}",
                    "value": reply[:2000],
                }
                for i, reply in enumerate(replies[:5])
            ],
        },
    ]


class SlackAdapter:
    name = "slack"
    capabilities = ChannelCapabilities(max_text_length=MAX_TEXT, quick_replies=True)

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> Delivered:
        channel, thread_ts = split_chat_id(message.channel_chat_id)
        text = escape(message.text)
        if message.role == "staff":
            text = f"*Support team:* {text}"
        parts = split_text(text, MAX_TEXT)
        sent: list[str] = []
        for i, part in enumerate(parts):
            kwargs: dict[str, object] = {"channel": channel, "text": part}
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            if message.quick_replies and i == len(parts) - 1:
                kwargs["blocks"] = quick_reply_blocks(part, message.quick_replies)
            sent.append(await self._post(kwargs))
        return Delivered(tuple(sent))

    async def _post(self, kwargs: dict[str, object]) -> str:
        try:
            response = await self._client.chat_postMessage(**kwargs)  # type: ignore[arg-type]
        except TRANSIENT as exc:
            if is_permanent(exc):
                raise DeliveryRefused(f"slack: {slack_error(exc)}") from exc
            raise DeliveryFailed(f"slack: {slack_error(exc)}", retry_after(exc)) from exc
        return str(response.get("ts", ""))
