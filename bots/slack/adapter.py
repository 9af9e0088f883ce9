"""Delivery to customers who write in Slack (DMs and mentions): `chat.postMessage`.

A customer's chat id is the DM channel (`D123`), or `C123/1700000000.000100` for a
mention in a channel, where the bot answers in the mention's thread. The outbox has
fitted each message to `capabilities` (Block Kit's limits, read from slack-sdk's own
models), so one `send` is one `chat.postMessage`.
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient

from bots.base import (
    ChannelCapabilities,
    Delivered,
    DeliveryFailed,
    DeliveryRefused,
    OutboundMessage,
)
from bots.fitting import split_text
from bots.slack.blocks import escape
from bots.slack.client import TRANSIENT, is_permanent, retry_after, slack_error

MAX_TEXT = SectionBlock.text_max_length
"""3000: a message with buttons shows its text in a section block, which holds no more
(a plain message may hold 40,000, but Slack asks clients to keep to 4,000)."""
QUICK_REPLY_ACTION = "quick_reply"


def chat_id(channel: str, thread_ts: str | None = None) -> str:
    return f"{channel}/{thread_ts}" if thread_ts else channel


def split_chat_id(value: str) -> tuple[str, str | None]:
    channel, _, thread_ts = value.partition("/")
    return channel, thread_ts or None


def quick_reply_blocks(text: str, replies: tuple[str, ...]) -> list[dict[str, object]]:
    """The text and a button per reply (a press posts its label back as the answer).
    Escaping and a staff prefix can take fitted text past one section: it then takes
    several."""
    sections: list[dict[str, object]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": chunk}}
        for chunk in split_text(text, MAX_TEXT)
    ]
    buttons: dict[str, object] = {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": reply},
                "action_id": f"{QUICK_REPLY_ACTION}:{i}",
                "value": reply,
            }
            for i, reply in enumerate(replies)
        ],
    }
    return [*sections, buttons]


class SlackAdapter:
    name = "slack"
    capabilities = ChannelCapabilities(
        max_text_length=MAX_TEXT,
        quick_replies=True,
        max_quick_replies=ActionsBlock.elements_max_length,  # 25
        max_quick_reply_length=ButtonElement.text_max_length,  # 75
    )

    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client

    async def send(self, message: OutboundMessage) -> Delivered:
        channel, thread_ts = split_chat_id(message.channel_chat_id)
        text = escape(message.text)
        if message.role == "staff":
            text = f"*Support team:* {text}"
        kwargs: dict[str, object] = {"channel": channel, "text": text}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if message.quick_replies:
            kwargs["blocks"] = quick_reply_blocks(text, message.quick_replies)
        return Delivered((await self._post(kwargs),))

    async def _post(self, kwargs: dict[str, object]) -> str:
        try:
            response = await self._client.chat_postMessage(**kwargs)  # type: ignore[arg-type]
        except TRANSIENT as exc:
            if is_permanent(exc):
                raise DeliveryRefused(f"slack: {slack_error(exc)}") from exc
            raise DeliveryFailed(f"slack: {slack_error(exc)}", retry_after(exc)) from exc
        return str(response.get("ts", ""))
