"""Live updates for the console: every conversation change, to every open console page.

The engine calls `publish(conversation_id)` after each committed turn, relayed message,
approval or staff action; each open page's server-sent-events stream has its own small
queue. A page that falls behind loses the oldest events (it re-reads the whole page on
the next one, so nothing is missed for long). One process's changes only: with replicas,
a page hears of what its own replica did and re-reads the rest on its next event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

QUEUE_SIZE = 100


class ConsoleEvents:
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[int | None]] = set()

    async def publish(self, conversation_id: int) -> None:
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(conversation_id)

    def close(self) -> None:
        """The process stops: every stream ends (browsers reconnect to another one)."""
        for queue in list(self._queues):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(None)

    @property
    def listeners(self) -> int:
        return len(self._queues)

    async def stream(
        self, *, heartbeat_s: float = 10.0, lifetime_s: float = 25.0
    ) -> AsyncIterator[str]:
        """Server-sent events: `event: changed` with the conversation id, a comment line
        as heartbeat; ends after `lifetime_s` and the browser reconnects by itself (and
        re-reads the page). Short on purpose: uvicorn lets open responses finish before
        it stops, so a long stream would hold a stopping server."""
        queue: asyncio.Queue[int | None] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + lifetime_s
        try:
            yield "retry: 1000\n\n"
            while (left := deadline - loop.time()) > 0:
                try:
                    conversation_id = await asyncio.wait_for(queue.get(), min(heartbeat_s, left))
                except TimeoutError:
                    yield ": still here\n\n"
                    continue
                if conversation_id is None:
                    return
                yield f"event: changed\ndata: {conversation_id}\n\n"
        finally:
            self._queues.discard(queue)
