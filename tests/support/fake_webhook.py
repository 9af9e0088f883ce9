"""A helpdesk's webhook endpoint on 127.0.0.1: records every request, checks its signature
with the shared secret (as a receiver would, independently of our signing code), and can
be told to fail the next requests."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.local_site import serve_locally


@dataclass
class Received:
    headers: dict[str, str]
    """Lower-cased names."""
    body: bytes
    status: int
    """What the fake answered."""
    signed: bool
    """The signature matched the secret, the timestamp and the body."""

    @property
    def json(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload

    @property
    def event(self) -> str:
        return self.headers["x-switchboard-event"]

    @property
    def event_id(self) -> str:
        return self.headers["x-switchboard-event-id"]


@dataclass
class FakeWebhookReceiver:
    secret: str
    url: str = ""
    received: list[Received] = field(default_factory=list)
    _failures: list[int] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    def fail_next(self, times: int = 1, status: int = 500) -> None:
        self._failures.extend([status] * times)

    def accepted(self, event: str | None = None) -> list[Received]:
        """Requests answered 2xx (of `event`)."""
        return [r for r in self.received if r.status < 300 and (event is None or r.event == event)]

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "webhook"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            await asyncio.sleep(0.02)
        seen = [f"{r.status} {r.headers.get('x-switchboard-event')}" for r in self.received]
        raise AssertionError(f"timed out waiting for {what}; received: {seen}")

    async def event(self, name: str, timeout: float = 10.0) -> Received:
        """The first accepted request of event `name`."""
        found: list[Received] = await self.wait_for(
            lambda: self.accepted(name), timeout, f"{name} accepted"
        )
        return found[0]

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        timestamp = headers.get("x-switchboard-timestamp", "")
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
        ).hexdigest()
        given = headers.get("x-switchboard-signature", "")
        return hmac.compare_digest(given, f"sha256={expected}")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner, base = await serve_locally(app)
        self.url = f"{base}/hooks/switchboard"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        status = self._failures.pop(0) if self._failures else 200
        self.received.append(Received(headers, body, status, self.verify(headers, body)))
        return web.json_response({"ok": status < 300}, status=status)
