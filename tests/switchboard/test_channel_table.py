"""The channel table: built from settings alone, routes served before anything runs;
the web chat's fan-out reaches the other replicas outside its own start and stop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bots.webchat.adapter import WebchatAdapter
from storage.db import create_engine, session_factory
from switchboard.app import create_app
from switchboard.channels.fanout import Fanout
from switchboard.channels.table import build_channels
from switchboard.channels.webchat import Webchat
from tests.conftest import make_settings
from tests.support.databases import DatabaseFactory

CHANNELS = {
    "TELEGRAM_BOT_TOKEN": "123456789:TEST-token_for-the-table",
    "SLACK_BOT_TOKEN": "xoxb-table",
    "SLACK_SIGNING_SECRET": "table-secret",
    "SLACK_SUPPORT_CHANNEL": "C0SUPPORT",
}


async def test_every_channel_web_chat_first_comes_from_settings_with_its_routes(
    tmp_path: Path,
) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/t.db", **CHANNELS)
    assert [c.name for c in build_channels(settings)] == ["webchat", "telegram", "slack"]
    only_webchat = make_settings(f"sqlite+aiosqlite:///{tmp_path}/w.db")
    assert [c.name for c in build_channels(only_webchat)] == ["webchat"]

    # No lifespan: nothing runs, and each channel's routes answer already.
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://table") as http:
        assert (await http.get("/widget.js")).status_code == 200
        assert (await http.get("/api/webchat/messages")).status_code == 401  # no token
        assert (await http.post("/telegram/webhook", json={})).status_code == 401  # no secret
        assert (await http.post("/slack/events", content=b"{}")).status_code == 401  # unsigned


def test_a_channel_used_before_it_starts_says_so(tmp_path: Path) -> None:
    webchat = Webchat(make_settings(f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    with pytest.raises(RuntimeError, match="not started"):
        _ = webchat.ports


@pytest.mark.postgres
async def test_the_fan_out_announces_before_its_start_and_after_its_stop(
    postgres_databases: DatabaseFactory,
) -> None:
    """The engine resumes turns before the channels start and finishes the last ones
    after they stop: what it announces then still reaches sockets on the other replicas."""
    url = postgres_databases.fresh()
    db = create_engine(url)
    here, there = WebchatAdapter(), WebchatAdapter()
    listener = there.listen("ws_1")
    there.follow(7, "ws_1")
    sender, receiver = Fanout(url, here), Fanout(url, there)
    await receiver.start(session_factory(db))
    try:
        await sender.publish("changed", conversation_id=7)  # not started yet
        assert (await asyncio.wait_for(listener.queue.get(), 5)).kind == "changed"
        await sender.start(session_factory(db))
        await sender.stop()
        await sender.publish("changed", conversation_id=7)  # stopped
        assert (await asyncio.wait_for(listener.queue.get(), 5)).kind == "changed"
    finally:
        await receiver.stop()
        await db.dispose()


@pytest.mark.postgres
async def test_events_published_while_a_notify_is_on_its_way_share_the_next_one(
    postgres_databases: DatabaseFactory,
) -> None:
    """Under load every turn announces its reply and its change: one NOTIFY each was a
    statement each on one connection. Those queued behind a NOTIFY go together, in order,
    and the other replica still gets every one."""
    import json

    import psycopg

    from storage.db import libpq_url

    url = postgres_databases.fresh()
    db = create_engine(url)
    here, there = WebchatAdapter(), WebchatAdapter()
    listeners = []
    for conversation_id in range(1, 21):
        listeners.append(there.listen(f"ws_{conversation_id}"))
        there.follow(conversation_id, f"ws_{conversation_id}")
    sender, receiver = Fanout(url, here), Fanout(url, there)
    async with await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) as raw:
        await raw.execute("LISTEN switchboard_live")
        await receiver.start(session_factory(db))
        await sender.start(session_factory(db))
        try:
            await asyncio.gather(
                *(sender.publish("changed", conversation_id=n) for n in range(1, 21))
            )
            for listener in listeners:  # the other replica's sockets, every one
                assert (await asyncio.wait_for(listener.queue.get(), 5)).kind == "changed"
            announced: list[int] = []
            notifies = 0
            async for notice in raw.notifies(timeout=5, stop_after=20):
                notifies += 1
                announced += [e["conversation_id"] for e in json.loads(notice.payload)["events"]]
                if len(announced) == 20:
                    break
            assert announced == list(range(1, 21))
            assert notifies < 20
        finally:
            await sender.stop()
            await receiver.stop()
            await db.dispose()


def test_a_batch_is_split_under_postgresqls_payload_limit() -> None:
    import json

    from switchboard.channels.fanout import MAX_PAYLOAD_BYTES, _payloads

    events = [{"kind": "message", "outbox_id": 10**9 + n} for n in range(1000)]
    payloads = _payloads("origin", events)
    assert len(payloads) > 1
    assert all(len(p.encode()) < 8000 for p in payloads)
    assert [e for p in payloads for e in json.loads(p)["events"]] == events
    assert MAX_PAYLOAD_BYTES < 8000


@pytest.mark.postgres
async def test_a_single_event_from_a_replica_before_batching_still_arrives(
    postgres_databases: DatabaseFactory,
) -> None:
    import psycopg

    from storage.db import libpq_url

    url = postgres_databases.fresh()
    db = create_engine(url)
    there = WebchatAdapter()
    listener = there.listen("ws_7")
    there.follow(7, "ws_7")
    receiver = Fanout(url, there)
    await receiver.start(session_factory(db))
    try:
        async with await psycopg.AsyncConnection.connect(libpq_url(url), autocommit=True) as old:
            payload = '{"origin": "older", "kind": "changed", "conversation_id": 7}'
            await old.execute("SELECT pg_notify('switchboard_live', %s)", (payload,))
        assert (await asyncio.wait_for(listener.queue.get(), 5)).kind == "changed"
    finally:
        await receiver.stop()
        await db.dispose()
