"""A fake Slack Web API on 127.0.0.1: the real slack-sdk client talks HTTP to it.

It answers the methods Switchboard uses, records every call (method, arguments, time),
keeps posted messages so `chat.update` edits them, and can answer 429 + Retry-After.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

from tests.support.local_site import serve_locally

BOT_USER = "UBOT"
IDS = itertools.count(1)
TEAM = "T0001"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    at: float
    token: str | None
    result: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeSlack:
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _limits: dict[str, list[int | None]] = field(default_factory=dict)
    socket_acks: list[str] = field(default_factory=list)
    _ts: int = 0
    _runner: web.AppRunner | None = None
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)

    # --- what tests arrange and look at ----------------------------------------------

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 1, after: int = 0) -> None:
        """The next `times` calls of `method` get 429 with Retry-After, once `after` such
        calls have been answered."""
        self._limits[method] = [None] * after + [retry_after] * times

    def posted(self, **match: Any) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "chat.postMessage" and all(c.args.get(k) == v for k, v in match.items())
        ]

    def text_of(self, channel: str, ts: str) -> str:
        """A posted message as it reads now (after any chat.update): text and blocks."""
        message = self.messages[(channel, ts)]
        return f"{message.get('text')}\n{json.dumps(message.get('blocks'), ensure_ascii=False)}"

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 10.0, what: str = "Slack call"
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            await asyncio.sleep(0.02)
        methods = [f"{c.method} {str(c.args)[:200]}" for c in self.calls]
        raise AssertionError(f"timed out waiting for {what}; calls: {methods}")

    # --- the server ------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/socket", self._socket)
        self._runner, base = await serve_locally(app)
        self.url = f"{base}/api"

    async def stop(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            args.update(await request.json())
        elif request.can_read_body:
            args.update(dict(await request.post()))
        for key in ("blocks", "attachments"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        call = Call(method, args, time.monotonic(), auth.removeprefix("Bearer "))
        self.calls.append(call)
        pending = self._limits.get(method)
        retry_after = pending.pop(0) if pending else None
        if retry_after is not None:
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        if method == "apps.connections.open" and auth.startswith("Bearer xapp-"):
            return web.json_response(
                {"ok": True, "url": self.url.replace("http", "ws", 1)[:-4] + "/socket"}
            )
        if not auth.startswith("Bearer xoxb-"):
            return web.json_response({"ok": False, "error": "not_authed"})
        call.result = self._answer(method, args)
        return web.json_response(call.result)

    # --- Socket Mode ---------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1})
        async for frame in ws:
            data = json.loads(frame.data) if isinstance(frame.data, str) else {}
            if "envelope_id" in data:
                self.socket_acks.append(str(data["envelope_id"]))
        return ws

    async def push_event(self, body: str, envelope_id: str) -> None:
        """Send an Events API payload over the open Socket Mode connection."""
        await self.wait_for(lambda: self._sockets, what="a Socket Mode connection")
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": "events_api",
                "accepts_response_payload": False,
                "retry_attempt": 0,
                "retry_reason": "",
                "payload": json.loads(body),
            }
        )

    def _next_ts(self) -> str:
        self._ts += 1
        return f"1700000000.{self._ts:06d}"

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": TEAM}
        if method == "chat.postMessage":
            if args.get("channel") == "CGONE":
                return {"ok": False, "error": "channel_not_found"}
            ts = self._next_ts()
            message = {"ts": ts, "text": args.get("text"), "blocks": args.get("blocks")}
            self.messages[(str(args["channel"]), ts)] = message
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}
        if method == "chat.update":
            key = (str(args["channel"]), str(args["ts"]))
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            self.messages[key].update(text=args.get("text"), blocks=args.get("blocks"))
            return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "usergroups.users.list":
            users = self.groups.get(str(args.get("usergroup")))
            if users is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": users}
        if method == "users.info":
            user = str(args.get("user"))
            return {"ok": True, "user": {"id": user, "name": user.lower(), "team_id": TEAM}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "X"))[1:]}}
        return {"ok": False, "error": "unknown_method"}


def next_ts() -> str:
    """A unique Slack message timestamp."""
    return f"{int(time.time())}.{next(IDS):06d}"


# --- signing requests as Slack does ----------------------------------------------------


def signed_headers(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 signature (HMAC-SHA256 of `v0:{timestamp}:{body}`), made by slack-sdk's
    own `SignatureVerifier`, the code Slack documents for this."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature)}


def event_body(event: dict[str, Any], event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
            "event": event,
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def command_body(**fields: str) -> str:
    return urlencode({"team_id": TEAM, "command": "/switchboard", **fields})
