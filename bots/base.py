"""The channel-neutral message types and the adapter protocol.

An adapter turns platform events into `InboundMessage`s for the engine and delivers
`OutboundMessage`s through the platform. The engine handle is injected at start; adapters
never import the graph or the tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class InboundMessage:
    channel: str
    channel_user_id: str
    channel_chat_id: str
    channel_message_id: str
    """Unique per channel; a webhook retry or replay carries the same id."""
    text: str
    attachments: tuple[str, ...] = ()
    received_at: datetime = field(default_factory=_now)
    verified_user_id: str | None = None
    """The customer's user id when the channel itself verified it (signed web chat)."""
    verified_customer_id: int | None = None
    """That customer's id, when the channel knows it already (a web chat session is tied
    to one): the engine then looks nothing up."""
    display_name: str | None = None
    locale: str | None = None
    """The sender's language as the platform knows it (a Telegram user's app language,
    the browser's): a hint for a first message too short to tell (`es`, `es-ES`)."""


@dataclass(frozen=True)
class OutboundMessage:
    outbox_id: int
    conversation_id: int
    channel: str
    channel_chat_id: str
    text: str
    quick_replies: tuple[str, ...] = ()
    role: str = "bot"


@dataclass(frozen=True)
class ChannelCapabilities:
    """What a channel's platform can show, declared by its adapter and applied to every
    reply when it is sent (`bots.fitting.fit_to`, called by the outbox): an adapter's
    `send` receives only what fits."""

    max_text_length: int | None
    """Most text one platform message may carry, in UTF-16 code units; longer replies
    are sent as several messages. None: no limit (the client renders our store)."""
    quick_replies: bool
    """Whether the platform shows quick replies as buttons; where not, they are sent as
    numbered lines of text."""
    max_quick_replies: int | None = None
    """Most buttons one message can carry; a reply offering more is sent as numbered text."""
    max_quick_reply_length: int | None = None
    """Longest button label (UTF-16 units); a longer one is sent as numbered text, since a
    cut label would change the answer."""
    replies_served_from_store: bool = False
    """The client reads replies from our message store (the web chat widget fetches its
    history), so a reply is delivered once it is committed; `send` is only a push to open
    sockets, best effort. The engine then writes no delivery status per reply."""

    def __post_init__(self) -> None:
        for name in ("max_text_length", "max_quick_replies", "max_quick_reply_length"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be positive or None, not {value}")


@dataclass(frozen=True)
class Delivered:
    channel_message_ids: tuple[str, ...] = ()


class DeliveryRefused(Exception):
    """Permanent: the platform will never accept this (user blocked the bot, chat gone)."""


class DeliveryFailed(Exception):
    """Temporary: worth retrying later; `retry_after` seconds when the platform says so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Reply:
    id: int
    text: str
    quick_replies: tuple[str, ...]
    role: str


@dataclass(frozen=True)
class TurnResult:
    message_id: int
    conversation_id: int
    mode: str
    replies: tuple[Reply, ...]
    duplicate: bool = False
    route: str | None = None
    """Which path served the turn (`workflow:billing_issue`, `agent`, `human`)."""
    pending: bool = False
    """The turn had not finished when the caller stopped waiting: no replies yet. It goes
    on, and its replies are delivered (and stored) when it ends."""


class ChannelAdapter(Protocol):
    """What the engine needs of a channel: its name, its limits, and a way to send.

    `send` gets one platform message's worth, already fitted to `capabilities` (text
    within `max_text_length`, quick replies only where it shows them as buttons); a
    reply of several parts is several calls, in order, from the outbox."""

    name: str
    capabilities: ChannelCapabilities

    async def send(self, message: OutboundMessage) -> Delivered: ...


class EngineHandle(Protocol):
    """What adapters may ask of the engine."""

    async def submit(self, message: InboundMessage) -> TurnResult:
        """Store the message durably and schedule its turn; returns at once."""
        ...

    async def handle(self, message: InboundMessage, *, timeout: float = 30.0) -> TurnResult:
        """Store the message and wait up to `timeout` for its replies (request/response
        channels); a turn still running then gives a `pending` result."""
        ...
