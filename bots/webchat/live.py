"""The web chat WebSocket: live replies, staff messages and mode changes for one session.

Protocol (JSON text frames):

- Connect to `/api/webchat/ws?token=<session token>`, or connect without `token` and send
  `{"type": "auth", "token": "..."}` as the first frame within `AUTH_TIMEOUT_S` (keeps the
  token out of URLs and access logs; the widget does this). A bad token closes with 4401.
- Server → client: `{"type": "ready", "session_id", "mode", "heartbeat_s"}` once, then
  `{"type": "message", "message": {id, role, text, quick_replies, created_at}}`,
  `{"type": "mode", "mode": "bot" | "human" | "closed"}` when it changes, and
  `{"type": "ping"}` every `heartbeat_s` (a client that hears nothing for ~2.5 heartbeats
  reconnects). Client `{"type": "ping"}` is answered with `{"type": "pong"}`.
- Close 4408 when the listener fell behind (the client reconnects and catches up from
  `GET /api/webchat/messages?after=<last id>`): history is the source of truth, the socket
  only the fast path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from bots.webchat.adapter import LiveEvent, LiveListener, WebchatAdapter
from bots.webchat.backend import WebchatBackend, WebchatSessionInfo
from bots.webchat.identity import hash_token

AUTH_TIMEOUT_S = 5.0
MAX_CLIENT_FRAME = 4096
CLOSE_UNAUTHORIZED = 4401
CLOSE_LAGGING = 4408
CLOSE_FORBIDDEN_ORIGIN = 4403


def origin_allowed(origin: str | None, host: str | None, allowed: Sequence[str] | None) -> bool:
    """Browsers send Origin on every WebSocket handshake and, unlike fetch, never enforce
    CORS on it; so the server checks. No Origin (not a browser), the page's own host, or a
    configured origin pass; `allowed=None` (not configured) lets every origin in, as the
    session token is still required."""
    if allowed is None or not origin or "*" in allowed:
        return True
    if origin.rstrip("/") in {a.rstrip("/") for a in allowed}:
        return True
    return bool(host) and urlsplit(origin).netloc == host


def add_live_route(
    router: APIRouter,
    *,
    backend: WebchatBackend,
    adapter: WebchatAdapter,
    heartbeat_s: float = 20.0,
    allowed_origins: Sequence[str] | None = None,
) -> None:
    @router.websocket("/ws")
    async def live(websocket: WebSocket, token: str = "") -> None:
        origin = websocket.headers.get("origin")
        if not origin_allowed(origin, websocket.headers.get("host"), allowed_origins):
            await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN, reason="origin not allowed")
            return
        await websocket.accept()
        session = await _authenticate(websocket, backend, token)
        if session is None:
            return
        listener = adapter.listen(session.session_id)
        try:
            await _serve(websocket, session, listener, adapter, backend, heartbeat_s)
        except (WebSocketDisconnect, RuntimeError, OSError):
            pass
        finally:
            adapter.forget(session.session_id, listener)
            if websocket.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    await websocket.close()


async def _authenticate(
    websocket: WebSocket, backend: WebchatBackend, token: str
) -> WebchatSessionInfo | None:
    if not token:
        try:
            frame = await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT_S)
            data = json.loads(frame) if len(frame) <= MAX_CLIENT_FRAME else {}
            token = str(data.get("token") or "") if data.get("type") == "auth" else ""
        except (TimeoutError, ValueError, AttributeError, WebSocketDisconnect, RuntimeError):
            token = ""
    found = await backend.find_session(hash_token(token)) if token else None
    if found is None:
        with contextlib.suppress(Exception):
            await websocket.close(code=CLOSE_UNAUTHORIZED, reason="unknown session token")
    return found


class _Outgoing:
    """Serialises sends: the reader task (pongs) and the pusher share one socket."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self._lock = asyncio.Lock()

    async def __call__(self, data: dict[str, Any]) -> None:
        async with self._lock:
            await self._websocket.send_json(data)


async def _serve(
    websocket: WebSocket,
    session: WebchatSessionInfo,
    listener: LiveListener,
    adapter: WebchatAdapter,
    backend: WebchatBackend,
    heartbeat_s: float,
) -> None:
    send = _Outgoing(websocket)
    # Read after the listener exists: a conversation begun before is found here, one
    # begun after is learned from its first reply.
    conversation_id, mode = await backend.conversation(session.session_id)
    if conversation_id is not None:
        adapter.follow(conversation_id, session.session_id)
    await send(
        {
            "type": "ready",
            "session_id": session.session_id,
            "mode": mode,
            "heartbeat_s": heartbeat_s,
        }
    )
    receiver = asyncio.create_task(_read_client(websocket, send))
    try:
        while not receiver.done():
            getter = asyncio.create_task(listener.queue.get())
            done, _ = await asyncio.wait(
                {getter, receiver}, timeout=heartbeat_s, return_when="FIRST_COMPLETED"
            )
            if getter not in done:
                getter.cancel()
                if receiver in done:
                    break
                # Quiet interval: heartbeat, and notice mode changes nobody signalled
                # (e.g. made on another replica).
                await send({"type": "ping"})
                mode = await _push_mode(send, backend, session, mode)
                continue
            event: LiveEvent = getter.result()
            if event.kind == "lagging":
                await websocket.close(code=CLOSE_LAGGING, reason="fell behind; reload history")
                return
            if event.kind == "message" and event.message is not None:
                await send({"type": "message", "message": _message_json(event)})
            elif event.kind == "changed":  # a turn or a staff action: the mode may differ
                mode = await _push_mode(send, backend, session, mode)
    finally:
        receiver.cancel()


async def _push_mode(
    send: _Outgoing, backend: WebchatBackend, session: WebchatSessionInfo, known: str
) -> str:
    mode = await backend.mode(session.session_id)
    if mode != known:
        await send({"type": "mode", "mode": mode})
    return mode


def _message_json(event: LiveEvent) -> dict[str, Any]:
    message = event.message
    assert message is not None
    return {
        "id": message.outbox_id,
        "role": message.role,
        "text": message.text,
        "quick_replies": list(message.quick_replies),
        "created_at": datetime.now(UTC).isoformat(),
    }


async def _read_client(websocket: WebSocket, send: _Outgoing) -> None:
    """Answer client pings; any frame proves the client alive. Returns when it leaves."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            frame = await websocket.receive_text()
            if len(frame) > MAX_CLIENT_FRAME:
                continue
            with contextlib.suppress(ValueError, AttributeError):
                if json.loads(frame).get("type") == "ping":
                    await send({"type": "pong"})
