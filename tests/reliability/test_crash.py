"""Crash safety with real processes: SIGKILL mid-turn and mid-delivery, SIGTERM.

After a restart every inbound message is processed exactly once, every reply delivered
exactly once, and no conversation is left waiting.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from storage.models import Message, Trace
from tests.conftest import ADMIN_TOKEN, IDENTITY_SECRET, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.fake_telegram import FakeTelegram, message_update
from tests.support.processes import ServeProcess, clean_env
from tests.support.rows import all_messages, all_traces

TOKEN = "123456789:CRASH-token_for-the-fake"
SECRET = "crash-webhook-secret"


def _env(url: str, **extra: str) -> dict[str, str]:
    return clean_env(
        SWITCHBOARD_DATABASE_URL=url,
        SWITCHBOARD_ADMIN_TOKEN=ADMIN_TOKEN,
        SWITCHBOARD_WEBCHAT_IDENTITY_SECRET=IDENTITY_SECRET,
        SWITCHBOARD_RATE_LIMIT_BURST="1000",
        **extra,
    )


def _assert_exactly_once(rows: list[Message], traces: list[Trace]) -> None:
    inbound = [m for m in rows if m.direction == "inbound"]
    assert inbound and all(m.status == "processed" for m in inbound), [
        (m.id, m.status) for m in inbound if m.status != "processed"
    ]
    traced = [t.message_id for t in traces]
    assert sorted(traced) == sorted(m.id for m in inbound)  # each turn ran (committed) once
    for message in inbound:
        replies = [r for r in rows if r.reply_to_id == message.id]
        assert len(replies) == 1, (message.text, [r.text for r in replies])
    assert all(r.status == "delivered" for r in rows if r.direction == "outbound")


async def _send_all(base: str, visitors: list[Any], texts: list[str]) -> int:
    """Send every text from every visitor; connection errors are retried later."""
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:
        results = await asyncio.gather(
            *(
                http.post(
                    "/api/webchat/messages",
                    headers=v.auth,
                    json={"text": t, "client_message_id": f"{v.session_id}:{i}"},
                )
                for v in visitors
                for i, t in enumerate(texts)
            ),
            return_exceptions=True,
        )
    return sum(1 for r in results if isinstance(r, httpx.Response) and r.status_code == 200)


TEXTS = ["hello", "where is my order?", "what is your return policy", "thanks", "hi again"]


async def test_sigkill_in_the_middle_of_turns_loses_and_repeats_nothing(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    url = sqlite_databases.fresh()
    server = ServeProcess(_env(url), tmp_path / "serve.log").start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            visitors = [await open_webchat(http, "cus_maria" if i % 2 else None) for i in range(12)]
        sending = asyncio.create_task(_send_all(server.url, visitors, TEXTS))
        await asyncio.sleep(0.6)  # turns are running now
        server.kill()
        await sending
        server.start()  # same database: resumes what was left
        await _send_all(server.url, visitors, TEXTS)  # clients retry with the same ids
        await asyncio.sleep(1.0)
    finally:
        server.kill()
    rows = await all_messages(url)
    assert len([m for m in rows if m.direction == "inbound"]) == len(visitors) * len(TEXTS)
    _assert_exactly_once(rows, await all_traces(url))


async def test_sigterm_finishes_in_flight_turns_and_stops_accepting(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    url = sqlite_databases.fresh()
    server = ServeProcess(_env(url), tmp_path / "serve.log").start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            visitors = [await open_webchat(http) for _ in range(8)]
        sending = asyncio.create_task(_send_all(server.url, visitors, TEXTS))
        await asyncio.sleep(0.5)
        assert server.process is not None
        server.process.send_signal(signal.SIGTERM)
        answered = await sending
        # uvicorn finishes the graceful shutdown, then re-raises the signal it caught.
        assert await asyncio.to_thread(server.process.wait, 30) in (0, -signal.SIGTERM)
        assert "Traceback" not in server.log_path.read_text()
        rows = await all_messages(url)
        # Whatever was accepted before the stop was answered before the process exited.
        inbound = [m for m in rows if m.direction == "inbound"]
        assert all(m.status == "processed" for m in inbound)
        assert answered <= len(inbound)
        server.start()
        await _send_all(server.url, visitors, TEXTS)
    finally:
        server.kill()
    rows = await all_messages(url)
    assert len([m for m in rows if m.direction == "inbound"]) == len(visitors) * len(TEXTS)
    _assert_exactly_once(rows, await all_traces(url))


class HoldingTelegram(FakeTelegram):
    """Holds sendMessage until released; a send whose connection died is not delivered
    (the platform never got the whole request), like a TCP reset mid-request."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.hold = asyncio.Event()
        self.hold.set()
        self.held = 0
        self.delivered: list[str] = []

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["method"] == "sendMessage":
            self.held += 1
            await self.hold.wait()
            transport = request.transport
            if transport is None or transport.is_closing():
                return web.Response(status=499)
            response = await super()._dispatch(request)
            self.delivered.append(str(self.calls[-1].params.get("chat_id")))
            return response
        return await super()._dispatch(request)


async def test_sigkill_while_a_reply_is_being_delivered(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    url = sqlite_databases.fresh()
    fake = HoldingTelegram()
    await fake.start()
    env = _env(
        url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_WEBHOOK_SECRET=SECRET, TELEGRAM_API_URL=fake.url
    )
    server = ServeProcess(env, tmp_path / "serve.log").start()
    chats = [700_001 + i for i in range(5)]
    try:
        fake.hold.clear()
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            for n, chat in enumerate(chats):
                response = await http.post(
                    "/telegram/webhook",
                    json=message_update(chat, "hello", message_id=1, update_id=900 + n),
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
                assert response.status_code == 200
        for _ in range(200):
            if fake.held:
                break
            await asyncio.sleep(0.05)
        assert fake.held, "no reply reached the platform"
        server.kill()  # with a delivery in flight
        await asyncio.sleep(0.3)  # let the fake notice the dropped connections
        fake.hold.set()
        await asyncio.sleep(0.2)
        server.start()
        for _ in range(300):
            if sorted(set(fake.delivered)) == sorted(str(c) for c in chats):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # anything sent twice would show up by now
    finally:
        server.kill()
        await fake.stop()
    assert sorted(fake.delivered) == sorted(str(c) for c in chats)  # each chat exactly once
    rows = await all_messages(url)
    _assert_exactly_once(rows, await all_traces(url))
