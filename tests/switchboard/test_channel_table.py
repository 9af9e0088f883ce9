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
