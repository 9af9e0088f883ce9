"""The web chat adapter: replies are stored by the engine and pushed to open sockets.

The outbox row is already durable when `send` runs, and the widget fetches history with
`GET /api/webchat/messages` whenever it (re)connects, so a socket is only the fast path:
a visitor with no open socket, or one on another replica, loses nothing. The widget
renders any length and every quick reply as a button, so a reply is pushed whole, as
the store holds it (the widget keeps one message per id).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

from bots.base import ChannelCapabilities, Delivered, OutboundMessage

QUEUE_SIZE = 100


@dataclass(frozen=True)
class LiveEvent:
    """What a socket is told: a new message, or "look again" (the mode may have changed).

    `lagging` means the listener's queue overflowed: the socket should be closed so the
    widget reconnects and catches up from history instead of silently missing messages.
    """

    kind: str  # "message" | "changed" | "lagging"
    message: OutboundMessage | None = None


class LiveListener:
    """One open socket's mailbox. A full mailbox is marked lagging, never blocks `send`."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.lagging = False

    def offer(self, event: LiveEvent) -> None:
        if self.lagging:
            return
        if self.queue.qsize() >= QUEUE_SIZE - 1:
            self.lagging = True
            event = LiveEvent("lagging")
        self.queue.put_nowait(event)


class WebchatAdapter:
    name = "webchat"
    capabilities = ChannelCapabilities(
        max_text_length=None, quick_replies=True, replies_served_from_store=True
    )

    def __init__(self) -> None:
        self._listeners: dict[str, set[LiveListener]] = defaultdict(set)
        # Learned from deliveries, so an engine "conversation changed" signal can reach
        # the sockets of that conversation's session without a database lookup.
        self._session_of: dict[int, str] = {}

    def listen(self, session_id: str) -> LiveListener:
        listener = LiveListener()
        self._listeners[session_id].add(listener)
        return listener

    def forget(self, session_id: str, listener: LiveListener) -> None:
        listeners = self._listeners.get(session_id)
        if listeners is None:
            return
        listeners.discard(listener)
        if not listeners:
            del self._listeners[session_id]
            stale = [c for c, s in self._session_of.items() if s == session_id]
            for conversation_id in stale:
                del self._session_of[conversation_id]

    def open_sockets(self, session_id: str | None = None) -> int:
        if session_id is not None:
            return len(self._listeners.get(session_id, ()))
        return sum(len(v) for v in self._listeners.values())

    def _offer(self, session_id: str, event: LiveEvent) -> None:
        for listener in list(self._listeners.get(session_id, ())):
            listener.offer(event)

    def follow(self, conversation_id: int, session_id: str) -> None:
        """Route the conversation's "changed" signals to the session's open sockets. Learned
        from each reply sent while a socket listens, and when a socket opens (a reply sent
        just before it listened taught nothing, and a hand-back sends no reply)."""
        if session_id in self._listeners:
            self._session_of[conversation_id] = session_id

    async def send(self, message: OutboundMessage) -> Delivered:
        self.follow(message.conversation_id, message.channel_chat_id)
        self._offer(message.channel_chat_id, LiveEvent("message", message))
        return Delivered((str(message.outbox_id),))

    def session_changed(self, session_id: str) -> None:
        """Something about the session's conversation changed (mode): sockets re-read it."""
        self._offer(session_id, LiveEvent("changed"))

    async def conversation_changed(self, conversation_id: int) -> None:
        """An `Engine.on_conversation_changed` listener (a turn committed, staff acted)."""
        session_id = self._session_of.get(conversation_id)
        if session_id is not None:
            self.session_changed(session_id)
