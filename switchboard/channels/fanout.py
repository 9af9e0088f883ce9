"""Live web chat across replicas: PostgreSQL LISTEN/NOTIFY.

A reply produced on replica B must reach a visitor whose socket is open on replica A.
After B delivers a web chat message (or a conversation changes), it NOTIFYs the outbox id;
every other replica LISTENs, loads that row and pushes it to its own sockets. PostgreSQL
is already there, so no extra service (Redis) is needed; payloads carry only ids, and a
missed notification costs nothing durable: the widget re-reads history on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import ChannelAdapter, ChannelCapabilities, Delivered, OutboundMessage
from bots.webchat.adapter import WebchatAdapter
from storage.db import libpq_url
from storage.models import Conversation, Message
from switchboard.engine.delivery import outbound_message

log = structlog.get_logger(__name__)
CHANNEL = "switchboard_live"
NOTIFY = "SELECT pg_notify(%s, %s)"


#: PostgreSQL refuses a NOTIFY payload of 8000 bytes or more.
MAX_PAYLOAD_BYTES = 7800  # the events' share; the origin's wrapping is the rest


def _payloads(origin: str, events: list[dict[str, Any]]) -> list[str]:
    """`events` in as few payloads as fit under PostgreSQL's limit, in order (ids and
    kinds only: ASCII, so characters are bytes)."""
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for event in events:
        length = len(json.dumps(event)) + 2  # and its ", " in the list
        if batches[-1] and size + length > MAX_PAYLOAD_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += length
    return [json.dumps({"origin": origin, "events": batch}) for batch in batches if batch]


class Fanout:
    def __init__(self, database_url: str, local: WebchatAdapter) -> None:
        self._url = libpq_url(database_url)
        self._local = local
        self.origin = uuid.uuid4().hex[:12]
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self._task: asyncio.Task[None] | None = None
        self._publisher: psycopg.AsyncConnection | None = None
        self._lock = asyncio.Lock()
        self._pending: list[dict[str, Any]] = []

    async def start(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Listen for the other replicas (`sessions` loads what they announce)."""
        self._sessions = sessions
        self._publisher = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(ready))
        await asyncio.wait_for(ready.wait(), 10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        async with self._lock:
            if self._publisher is not None:
                await self._publisher.close()
                self._publisher = None

    async def publish(self, kind: str, **ids: int) -> None:
        """Announce an event, returning once it is sent. Events published while a NOTIFY
        is on its way go together in the next one: under load a turn's two (its reply,
        its conversation changed) and other turns' share one statement, not one each.
        On the running connection; outside `start`..`stop` (the engine resumes turns
        before the channels start and finishes them after they stop) on one of its own."""
        self._pending.append({"kind": kind, **ids})
        async with self._lock:
            if not self._pending:
                return  # the NOTIFY before this one carried it
            events, self._pending = self._pending, []
            try:
                for payload in _payloads(self.origin, events):
                    if self._publisher is not None:
                        await self._publisher.execute(NOTIFY, (CHANNEL, payload))
                        continue
                    async with await psycopg.AsyncConnection.connect(
                        self._url, autocommit=True
                    ) as once:
                        await once.execute(NOTIFY, (CHANNEL, payload))
            except Exception:  # live push is best effort; history is the source of truth
                log.warning("fanout.publish_failed", kind=kind, events=len(events))

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    ready.set()
                    async for notice in connection.notifies():
                        await self._received(json.loads(notice.payload))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("fanout.listen_reconnect")
                await asyncio.sleep(1)

    async def _received(self, payload: dict[str, Any]) -> None:
        if payload.get("origin") == self.origin:
            return
        # A batch (`events`), or one event as replicas before batching sent them.
        for event in payload.get("events") or [payload]:
            await self._receive_one(event)

    async def _receive_one(self, event: dict[str, Any]) -> None:
        if event.get("kind") == "changed":
            await self._local.conversation_changed(int(event["conversation_id"]))
            return
        assert self._sessions is not None  # listening only once started
        async with self._sessions() as session:
            row = await session.get(Message, int(event["outbox_id"]))
            conversation = await session.get(Conversation, row.conversation_id) if row else None
        if row is None or conversation is None:
            return
        await self._local.send(outbound_message(row, conversation))

    def adapter(self) -> ChannelAdapter:
        return _FannedOutWebchat(self._local, self)

    def changed_listener(self) -> Callable[[int], Awaitable[None]]:
        async def changed(conversation_id: int) -> None:
            await self.publish("changed", conversation_id=conversation_id)

        return changed


class _FannedOutWebchat:
    """The web chat adapter as the engine sees it on PostgreSQL: local push, then NOTIFY."""

    name = "webchat"

    def __init__(self, local: WebchatAdapter, fanout: Fanout) -> None:
        self._local = local
        self._fanout = fanout
        self.capabilities: ChannelCapabilities = local.capabilities

    async def send(self, message: OutboundMessage) -> Delivered:
        delivered = await self._local.send(message)
        await self._fanout.publish("message", outbox_id=message.outbox_id)
        return delivered
