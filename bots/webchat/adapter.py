"""The web chat adapter: replies are stored by the engine and pushed to open sockets."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from bots.base import ChannelCapabilities, Delivered, OutboundMessage

MAX_TEXT = 4000


class WebchatAdapter:
    name = "webchat"
    capabilities = ChannelCapabilities(max_text_length=MAX_TEXT, quick_replies=True)

    def __init__(self) -> None:
        self._listeners: dict[str, set[asyncio.Queue[OutboundMessage]]] = defaultdict(set)

    def listen(self, session_id: str) -> asyncio.Queue[OutboundMessage]:
        queue: asyncio.Queue[OutboundMessage] = asyncio.Queue(maxsize=100)
        self._listeners[session_id].add(queue)
        return queue

    def forget(self, session_id: str, queue: asyncio.Queue[OutboundMessage]) -> None:
        self._listeners[session_id].discard(queue)
        if not self._listeners[session_id]:
            del self._listeners[session_id]

    async def send(self, message: OutboundMessage) -> Delivered:
        # The reply is already durable in the outbox, where GET /messages finds it; a
        # socket is only a faster path, so a full or missing listener loses nothing.
        for queue in list(self._listeners.get(message.channel_chat_id, ())):
            if not queue.full():
                queue.put_nowait(message)
        return Delivered((str(message.outbox_id),))
