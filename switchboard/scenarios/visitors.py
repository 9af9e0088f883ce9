"""The customer side of a scenario: one visitor per channel, talking the way that
channel's users do.

- webchat: the real web chat HTTP API of the app (sessions signed with the site's HMAC
  secret, messages posted as the widget posts them), in process over ASGI.
- telegram / slack: an `InboundMessage` as their adapters produce it, `Engine.handle`, and
  a collecting channel in the app's channel table in place of the platform's
  (`scenario_channels`), whose adapter records what the user's phone would show. The
  identity is linked first, as `switchboard customers link` does. This is the seam to
  swap for the real adapters against fake platform servers.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Protocol

import httpx
from fastapi import APIRouter, FastAPI

from bots.base import ChannelCapabilities, Delivered, InboundMessage, OutboundMessage
from bots.webchat.identity import sign_user_id
from storage import customers
from storage.db import transaction
from switchboard.channels.ports import Channel, ChannelPorts
from switchboard.channels.table import build_channels
from switchboard.settings import Settings


class ChannelRejected(Exception):
    """The channel refused the message (e.g. HTTP 422 from the web chat API)."""


@dataclass(frozen=True)
class SeenReply:
    text: str
    quick_replies: tuple[str, ...] = ()


@dataclass
class Seen:
    """What the customer saw for one message."""

    conversation_id: int
    message_id: int | None
    replies: list[SeenReply] = field(default_factory=list)


class Visitor(Protocol):
    conversation_id: int | None

    async def say(self, text: str) -> Seen: ...


class WebchatVisitor:
    def __init__(self, http: httpx.AsyncClient, identity_secret: str) -> None:
        self._http = http
        self._secret = identity_secret
        self._token = ""
        self._sent = 0
        self.conversation_id: int | None = None

    async def open(self, customer: str | None) -> None:
        body: dict[str, str] = {}
        if customer is not None:
            body = {"user_id": customer, "user_hash": sign_user_id(customer, self._secret)}
        response = await self._http.post("/api/webchat/sessions", json=body)
        if response.status_code != 201:
            raise ChannelRejected(f"session: HTTP {response.status_code}: {_error(response)}")
        self._token = response.json()["token"]

    async def say(self, text: str) -> Seen:
        self._sent += 1
        response = await self._http.post(
            "/api/webchat/messages",
            json={"text": text, "client_message_id": f"eval-{self._sent}"},
            headers={"Authorization": f"Bearer {self._token}"},
        )
        if response.status_code != 200:
            raise ChannelRejected(f"HTTP {response.status_code}: {_error(response)}")
        turn = response.json()
        self.conversation_id = int(turn["conversation_id"])
        return Seen(
            conversation_id=self.conversation_id,
            message_id=int(turn["message_id"]),
            replies=[SeenReply(r["text"], tuple(r["quick_replies"])) for r in turn["replies"]],
        )


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text[:200]


class CollectingAdapter:
    """Records every delivered message per chat, as the user's client would show them."""

    def __init__(self, name: str, max_text_length: int = 4096) -> None:
        self.name = name
        self.capabilities = ChannelCapabilities(max_text_length=max_text_length, quick_replies=True)
        self.received: dict[str, list[OutboundMessage]] = {}

    async def send(self, message: OutboundMessage) -> Delivered:
        self.received.setdefault(message.channel_chat_id, []).append(message)
        return Delivered((f"{self.name}-{uuid.uuid4().hex[:8]}",))


class CollectingChannel:
    """A channel of the table with no platform behind it: the collecting adapter, no
    routes; the started system is what its visitors talk to."""

    routers: tuple[APIRouter, ...] = ()

    def __init__(self, name: str) -> None:
        self.name = name
        self.adapter = CollectingAdapter(name)
        self._ports: ChannelPorts | None = None

    @property
    def ports(self) -> ChannelPorts:
        if self._ports is None:
            raise RuntimeError(f"the {self.name} channel has not started")
        return self._ports

    async def start(self, ports: ChannelPorts) -> None:
        self._ports = ports

    async def stop(self) -> None:
        self._ports = None


def scenario_channels(settings: Settings, channel: str) -> list[Channel]:
    """The app's channel table for a scenario written on `channel`: a collecting channel
    in place of Telegram or Slack, which then need no platform (nor its credentials)."""
    table = build_channels(settings)
    if channel == "webchat":
        return table
    return [*(c for c in table if c.name != channel), CollectingChannel(channel)]


class ChatVisitor:
    """A Telegram or Slack user writing to the bot in a private chat."""

    def __init__(self, channel: CollectingChannel) -> None:
        self._channel = channel
        self.channel = channel.name
        self._adapter = channel.adapter
        suffix = secrets.token_hex(4)
        if channel.name == "slack":
            self.user_id, self.chat_id = f"U{suffix.upper()}", f"D{suffix.upper()}"
        else:
            number = str(int(suffix, 16))
            self.user_id, self.chat_id = number, number
        self._sent = 0
        self.conversation_id: int | None = None

    async def open(self, customer: str | None) -> None:
        if customer is None:
            return
        async with transaction(self._channel.ports.sessions) as session:
            found = await customers.get_customer_by_user_id(session, customer)
            if found is None:
                raise ChannelRejected(f"no customer {customer!r} to link")
            await customers.link_identity(
                session, customer=found, channel=self.channel, channel_user_id=self.user_id
            )

    async def say(self, text: str) -> Seen:
        self._sent += 1
        before = len(self._adapter.received.get(self.chat_id, []))
        result = await self._channel.ports.engine.handle(
            InboundMessage(
                channel=self.channel,
                channel_user_id=self.user_id,
                channel_chat_id=self.chat_id,
                channel_message_id=f"{self.chat_id}:{self._sent}",
                text=text,
            )
        )
        self.conversation_id = result.conversation_id
        delivered = self._adapter.received.get(self.chat_id, [])[before:]
        return Seen(
            conversation_id=result.conversation_id,
            message_id=result.message_id,
            replies=[SeenReply(m.text, m.quick_replies) for m in delivered],
        )


async def open_visitor(
    channel: str, customer: str | None, *, app: FastAPI, http: httpx.AsyncClient, secret: str
) -> Visitor:
    """`app` runs `scenario_channels(settings, channel)`."""
    visitor: WebchatVisitor | ChatVisitor
    if channel == "webchat":
        visitor = WebchatVisitor(http, secret)
    else:
        collecting = app.state.channels[channel]
        assert isinstance(collecting, CollectingChannel), "the app needs scenario_channels"
        visitor = ChatVisitor(collecting)
    await visitor.open(customer)
    return visitor
