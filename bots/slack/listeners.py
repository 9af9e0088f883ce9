"""Slack events, button clicks and the slash command → the engine or the staff desk.

Customers (DMs, mentions outside the support channel) become `InboundMessage`s; the
request is answered only after `engine.submit` stored them (a 500 makes Slack retry).
Replies in a support-channel thread are staff talking to a customer. Slow work (Slack
calls, resuming a conversation) runs after the acknowledgement, in the channel's tasks.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bots.base import EngineHandle, InboundMessage
from bots.slack.adapter import QUICK_REPLY_ACTION, chat_id
from bots.slack.blocks import INTENT_LABEL_ACTION, status_text, ticket_text
from bots.slack.cards import MessageRef, StaffDesk

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

CHANNEL = "slack"
# Message subtypes that are a person writing; edits, joins and bot posts are not.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}
MENTION = re.compile(r"<@[UW][A-Z0-9]+>\s*")
USAGE = "Usage: `/switchboard status` or `/switchboard ticket <number>`"


def _header(request: AsyncBoltRequest, name: str) -> str | None:
    values = request.headers.get(name) or []
    return str(values[0]) if values else None


class ListenerHost(Protocol):
    """What the listeners need of the Slack channel that registers them (`SlackChannel`)."""

    support_channel: str

    @property
    def engine(self) -> EngineHandle: ...

    @property
    def desk(self) -> StaffDesk: ...

    def spawn(self, work: Coroutine[Any, Any, None]) -> None: ...


class Listeners:
    def __init__(self, channel: ListenerHost) -> None:
        self.channel = channel
        # Staff replies have no inbox row: remember recent ones so a re-sent event is dropped.
        self._seen: OrderedDict[str, None] = OrderedDict()

    def register(self, app: AsyncApp) -> None:
        app.middleware(self.skip_retries)
        app.event("message")(self.on_message)
        app.event("app_mention")(self.on_mention)
        app.action(re.compile(r"^handoff_(take|resolve|return)$"))(self.on_handoff_button)
        app.action(re.compile(r"^approval_(approve|deny)$"))(self.on_approval_button)
        app.action(INTENT_LABEL_ACTION)(self.on_intent_label)
        app.action(re.compile(rf"^{QUICK_REPLY_ACTION}:\d+$"))(self.on_quick_reply)
        app.action("open_link")(self.on_link)
        app.command("/switchboard")(self.on_command)

    async def skip_retries(
        self,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse | None:
        """Slack re-sends an event it thinks we missed (a timeout, say). We answered it:
        drop the retry without work. Only after our own 5xx (`http_error`) is it processed
        again, and then the inbox (and `_seen`) make it a no-op if it got that far."""
        # Socket Mode reports first attempts as retry 0.
        retry = (_header(req, "x-slack-retry-num") or "0").strip()
        if retry not in ("", "0") and _header(req, "x-slack-retry-reason") != "http_error":
            return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return await next()

    def _first_time(self, key: str) -> bool:
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > 5000:
            self._seen.popitem(last=False)
        return True

    # --- events ----------------------------------------------------------------------

    async def on_message(self, event: dict[str, Any]) -> None:
        if (
            event.get("subtype") not in PERSON_SUBTYPES
            or event.get("bot_id")
            or not _complete(event)
        ):
            return
        channel, ts = str(event["channel"]), str(event["ts"])
        if channel == self.channel.support_channel:
            thread_ts = event.get("thread_ts")
            if thread_ts and thread_ts != ts and self._first_time(f"{channel}:{ts}"):
                self.channel.spawn(
                    self.channel.desk.staff_reply(
                        MessageRef(channel, str(thread_ts)), str(event["user"]), _text(event)
                    )
                )
            return
        if event.get("channel_type") == "im":
            await self._submit(event, chat_id(channel))

    async def on_mention(self, event: dict[str, Any]) -> None:
        if not _complete(event):
            return
        channel = str(event["channel"])
        if channel == self.channel.support_channel or event.get("bot_id"):
            return
        thread = str(event.get("thread_ts") or event["ts"])
        await self._submit(event, chat_id(channel, thread))

    async def _submit(self, event: dict[str, Any], chat: str) -> None:
        files = tuple(str(f.get("name") or "file") for f in event.get("files") or ())
        await self.channel.engine.submit(
            InboundMessage(
                channel=CHANNEL,
                channel_user_id=str(event["user"]),
                channel_chat_id=chat,
                channel_message_id=f"{event['channel']}:{event['ts']}",
                text=_text(event),
                attachments=files,
            )
        )

    # --- buttons ---------------------------------------------------------------------

    async def on_handoff_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        if not _from(body, self.channel.support_channel):
            return
        conversation_id, user = int(action["value"]), str(body["user"]["id"])
        desk = self.channel.desk
        if action["action_id"] == "handoff_take":
            self.channel.spawn(desk.take(conversation_id, user))
        else:
            resolved = action["action_id"] == "handoff_resolve"
            self.channel.spawn(desk.hand_back(conversation_id, user, resolved=resolved))

    async def on_approval_button(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        action = body["actions"][0]
        if not _from(body, self.channel.support_channel):
            return
        card = MessageRef(str(body["channel"]["id"]), str(body["container"]["message_ts"]))
        self.channel.spawn(
            self.channel.desk.decide(
                int(action["value"]),
                str(body["user"]["id"]),
                approved=action["action_id"] == "approval_approve",
                card=card,
            )
        )

    async def on_intent_label(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """The "Correct intent" menu on a handoff card: the option's value is
        `<trace id>:<intent>`. Whether this person may teach the bot is the desk's call."""
        await ack()
        action = body["actions"][0]
        value = str((action.get("selected_option") or {}).get("value") or "")
        trace_id, _, intent = value.partition(":")
        channel = (body.get("channel") or {}).get("id")
        message_ts = (body.get("container") or {}).get("message_ts")
        if not (trace_id.isdigit() and intent and channel and message_ts):
            return
        self.channel.spawn(
            self.channel.desk.label_intent(
                int(trace_id),
                intent,
                str(body["user"]["id"]),
                MessageRef(str(channel), str(message_ts)),
            )
        )

    async def on_quick_reply(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        """A customer pressed one of the bot's suggested answers: it is their next message."""
        action, container = body["actions"][0], body.get("container") or {}
        channel = str(body["channel"]["id"])
        thread = container.get("thread_ts")
        await self.channel.engine.submit(
            InboundMessage(
                channel=CHANNEL,
                channel_user_id=str(body["user"]["id"]),
                channel_chat_id=chat_id(channel, str(thread) if thread else None),
                channel_message_id=f"{channel}:action:{action['action_ts']}",
                text=str(action["value"]),
            )
        )
        await ack()

    async def on_link(self, ack: AsyncAck) -> None:
        await ack()  # URL buttons open in the browser; Slack still wants an answer

    # --- /switchboard ----------------------------------------------------------------

    async def on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        desk = self.channel.desk
        if not await desk.may_use_commands(str(command["user_id"]), str(command["channel_id"])):
            await ack(f"Use `/switchboard` in <#{self.channel.support_channel}>.")
            return
        words = str(command.get("text") or "").split()
        if words[:1] == ["status"]:
            await ack(status_text(await desk.status()))
        elif words[:1] == ["ticket"] and len(words) == 2:
            card = await desk.ticket(words[1])
            await ack(ticket_text(card) if card else f"No ticket {words[1]}.")
        else:
            await ack(USAGE)


LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")


def _text(event: dict[str, Any]) -> str:
    """Slack's markup → what a person typed: no @-mentions, links as text, unescaped."""
    text = MENTION.sub("", str(event.get("text") or ""))
    text = LINK.sub(lambda m: f"{m[2]} ({m[1]})" if m[2] and m[2] != m[1] else m[1], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _from(body: dict[str, Any], channel: str) -> bool:
    return str((body.get("channel") or {}).get("id")) == channel


def _complete(event: dict[str, Any]) -> bool:
    """A person's message names its user, channel and timestamp; anything else (a
    malformed or foreign event) is acknowledged and ignored, never a 500 that Slack
    would retry."""
    return all(isinstance(event.get(k), str) and event.get(k) for k in ("user", "channel", "ts"))
