"""A company's own REST API on 127.0.0.1, as a connector test needs one: it records every
request, answers from routes the test gives it, makes each write once per
`Idempotency-Key` (as a careful API does: the same key returns the first answer), and can
be told to fail, stall or answer too much."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.local_site import serve_locally

Handler = Callable[["Seen"], Any]
"""What a route answers: a JSON-able value (200), or `(status, value)`."""


@dataclass
class Seen:
    method: str
    path: str
    """As sent, still URL-encoded."""
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names."""
    body: Any
    match: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


@dataclass
class FakeService:
    token: str = "secret-token"
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    effects: list[Seen] = field(default_factory=list)
    """Writes that changed something (one per idempotency key)."""
    _routes: list[tuple[str, str, Handler]] = field(default_factory=list)
    _failures: list[int | str] = field(default_factory=list)
    _answered: dict[str, tuple[int, Any]] = field(default_factory=dict)
    _runner: web.AppRunner | None = None
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set at stop: a stalled answer gives up then, so cleanup does not wait for it."""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """`pattern` in aiohttp's syntax: `/customers/{customer}/plan`."""
        self._routes.append((method, pattern, handler))

    def fail_next(self, times: int = 1, status: int | str = 503) -> None:
        """The next requests answer `status`, or `"stall"` (no answer for 30 s) or
        `"big"` (a 2 MB body)."""
        self._failures.extend([status] * times)

    async def start(self) -> None:
        app = web.Application()
        for method, pattern, handler in self._routes:
            app.router.add_route(method, pattern, self._handler(handler))
        app.router.add_route("GET", "/health", lambda _: web.json_response({"ok": True}))
        self._runner, base = await serve_locally(app)
        self.url = base

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def _handler(self, handler: Handler) -> Any:
        async def handle(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            seen = Seen(
                method=request.method,
                path=request.raw_path.split("?")[0],
                query=dict(request.query),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=json.loads(raw) if raw else None,
                match=dict(request.match_info),
            )
            self.seen.append(seen)
            if request.headers.get("Authorization") != f"Bearer {self.token}":
                return web.json_response({"error": "unauthorized"}, status=401)
            if self._failures:
                failure = self._failures.pop(0)
                if failure == "stall":
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopping.wait(), 30)
                elif failure == "big":
                    return web.Response(body=b"x" * 2_000_000, content_type="text/plain")
                else:
                    return web.json_response({"error": "down"}, status=int(failure))
            key = seen.idempotency_key
            if request.method != "GET" and key and key in self._answered:
                status, value = self._answered[key]
                return web.json_response(value, status=status)
            answer = handler(seen)
            status, value = answer if isinstance(answer, tuple) else (200, answer)
            if request.method != "GET" and status < 300:
                self.effects.append(seen)
                if key:
                    self._answered[key] = (status, value)
            return web.json_response(value, status=status)

        return handle
