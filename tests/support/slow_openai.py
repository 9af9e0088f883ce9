"""The scripted OpenAI-compatible server (`FakeOpenAI`) behind a slow, watchful front:
every answer can be held back `delay_s`, and a client that hangs up before the answer
(a timed-out or cancelled model call) is seen and counted, as a real server sees it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from tests.support.fake_openai import FakeOpenAI, serve_chat_completions

#: What nginx logs for a client that closed the connection before the answer.
CLIENT_CLOSED = 499


@dataclass
class SlowOpenAI:
    fake: FakeOpenAI = field(default_factory=FakeOpenAI)
    delay_s: float = 0.0
    """Held back before the scripted step is even read (so a `Say` arrives late)."""
    started: int = 0
    answered: int = 0
    hung_up: int = 0
    """Requests whose client closed the connection before the answer was ready."""
    url: str = ""

    async def handle(self, request: Request) -> Response:
        await request.body()  # read first: watching for a hang-up consumes what is unread
        self.started += 1
        answer = asyncio.create_task(self._answer(request))
        try:
            while not answer.done():
                if await request.is_disconnected():
                    self.hung_up += 1
                    answer.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await answer
                    return Response(status_code=CLIENT_CLOSED)
                await asyncio.wait({answer}, timeout=0.02)
        finally:
            answer.cancel()
        self.answered += 1
        return answer.result()

    async def _answer(self, request: Request) -> Response:
        await asyncio.sleep(self.delay_s)
        return await self.fake.handle(request)


@asynccontextmanager
async def run_slow_openai() -> AsyncIterator[SlowOpenAI]:
    slow = SlowOpenAI()
    async with serve_chat_completions(slow.handle) as url:
        slow.url = slow.fake.url = url
        yield slow
