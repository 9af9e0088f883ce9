"""The web chat WebSocket over a real server: auth, live replies, staff messages, modes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
import pytest
from sqlalchemy import event

from bots.base import OutboundMessage
from bots.webchat.adapter import QUEUE_SIZE, WebchatAdapter
from bots.webchat.live import origin_allowed
from tests.conftest import DB_KINDS, WebchatClient, make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.rows import scalar
from tests.support.server import LiveServer, run_server

SEED = "My payment failed twice, but I was still charged. I need this fixed today."
TIMEOUT = 10.0


@pytest.fixture(scope="module", params=DB_KINDS)
def ws_database_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_databases" if request.param == "sqlite" else "postgres_databases"
    factory: DatabaseFactory = request.getfixturevalue(name)
    return factory.fresh()


@pytest.fixture(scope="module")
async def server(ws_database_url: str) -> AsyncIterator[LiveServer]:
    """One server per database kind for the module: its start-up (classifier training)
    costs more than these tests; each test opens its own sessions, so they stay apart."""
    async with run_server(make_settings(ws_database_url)) as live:
        yield live


@pytest.fixture
async def aio() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def ws_url(server: LiveServer, token: str | None = None) -> str:
    base = server.url.replace("http://", "ws://") + "/api/webchat/ws"
    return f"{base}?token={token}" if token is not None else base


async def next_frame(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    """The next frame of `kind`, skipping heartbeats and other kinds."""
    while True:
        frame = await ws.receive(timeout=TIMEOUT)
        assert frame.type == aiohttp.WSMsgType.TEXT, (frame.type, frame.data, frame.extra)
        data: dict[str, Any] = json.loads(frame.data)
        if data["type"] == kind:
            return data


async def connect(
    aio: aiohttp.ClientSession, server: LiveServer, visitor: WebchatClient
) -> aiohttp.ClientWebSocketResponse:
    ws = await aio.ws_connect(ws_url(server, visitor.token))
    ready = await next_frame(ws, "ready")
    assert ready["session_id"] == visitor.session_id
    return ws


async def test_reply_is_pushed_with_the_id_the_http_answer_has(
    server: LiveServer, http: httpx.AsyncClient, aio: aiohttp.ClientSession
) -> None:
    maria = await open_webchat(http, "cus_maria")
    async with await connect(aio, server, maria) as ws:
        turn = await maria.say(SEED)
        pushed = (await next_frame(ws, "message"))["message"]

    reply = turn["replies"][0]
    assert pushed["id"] == reply["id"]
    assert pushed["role"] == "bot"
    assert pushed["text"] == reply["text"]
    assert "duplicate charge" in pushed["text"]
    assert pushed["created_at"]


async def test_a_reply_is_delivered_by_the_commit_that_stores_it(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    """The widget reads its history from our store, so there is no delivery status to
    write after the push: the reply row is `delivered` from its first commit, and no
    second write ever stamped it with a delivery id."""
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say(SEED)
    ids = ", ".join(str(reply["id"]) for reply in turn["replies"])
    where = f"FROM messages WHERE id IN ({ids})"

    url = server.runtime.settings.database_url
    assert await scalar(url, f"SELECT COUNT(*) {where} AND status = 'delivered'") == len(
        turn["replies"]
    )
    assert await scalar(url, f"SELECT COUNT(*) {where} AND channel_message_id IS NOT NULL") == 0


async def test_token_in_first_frame_keeps_it_out_of_the_url(
    server: LiveServer, http: httpx.AsyncClient, aio: aiohttp.ClientSession
) -> None:
    visitor = await open_webchat(http)
    async with aio.ws_connect(ws_url(server)) as ws:
        await ws.send_json({"type": "auth", "token": visitor.token})
        ready = await next_frame(ws, "ready")
        assert ready["session_id"] == visitor.session_id
        assert ready["mode"] == "bot"
        await ws.send_json({"type": "ping"})
        assert (await next_frame(ws, "pong"))["type"] == "pong"


@pytest.mark.parametrize("token", ["", "not-a-real-token"])
async def test_unknown_token_is_closed_with_4401(
    server: LiveServer, aio: aiohttp.ClientSession, token: str
) -> None:
    async with aio.ws_connect(ws_url(server, token)) as ws:
        if not token:
            await ws.send_str("garbage, not an auth frame")
        frame = await ws.receive(timeout=TIMEOUT)
        assert frame.type == aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4401


async def test_staff_message_reaches_only_that_session(
    server: LiveServer, http: httpx.AsyncClient, aio: aiohttp.ClientSession
) -> None:
    sam = await open_webchat(http, "cus_sam")
    other = await open_webchat(http)
    turn = await sam.say("I want to talk to a person")
    async with await connect(aio, server, sam) as ws, await connect(aio, server, other) as peer:
        staff_id = await server.runtime.engine.send_staff_reply(
            turn["conversation_id"], "Hi Sam, this is Dana from billing."
        )
        pushed = (await next_frame(ws, "message"))["message"]
        await peer.send_json({"type": "ping"})
        # The peer's next frame is its pong: nothing of Sam's was pushed to it.
        peer_frame = json.loads((await peer.receive(timeout=TIMEOUT)).data)

    assert pushed == {**pushed, "id": staff_id, "role": "staff"}
    assert pushed["text"] == "Hi Sam, this is Dana from billing."
    assert peer_frame == {"type": "pong"}
    history = await sam.history()
    assert history["messages"][-1]["role"] == "staff"


async def test_handoff_and_hand_back_are_pushed_as_mode_changes(
    server: LiveServer, http: httpx.AsyncClient, aio: aiohttp.ClientSession
) -> None:
    await server.add_staff()
    visitor = await open_webchat(http)
    async with await connect(aio, server, visitor) as ws:
        turn = await visitor.say("I want to talk to a person")
        assert turn["mode"] == "human"
        assert (await next_frame(ws, "mode"))["mode"] == "human"

        # Staff hand the conversation back (as the staff desk does), and the engine says so.
        await server.hand_back(turn["conversation_id"])
        assert (await next_frame(ws, "mode"))["mode"] == "bot"


async def test_a_socket_opened_after_the_last_reply_still_hears_of_a_hand_back(
    server: LiveServer, http: httpx.AsyncClient, aio: aiohttp.ClientSession
) -> None:
    """No reply reached this socket (the handoff's was sent before it opened, and a
    hand-back sends none): it still learns which conversation is its own when it opens."""
    await server.add_staff()
    visitor = await open_webchat(http)
    turn = await visitor.say("I want to talk to a person")
    async with await connect(aio, server, visitor) as ws:
        await server.hand_back(turn["conversation_id"])
        assert (await next_frame(ws, "mode"))["mode"] == "bot"


async def test_an_approval_outcome_is_pushed_to_the_open_widget(
    server: LiveServer, http: httpx.AsyncClient, aio: aiohttp.ClientSession
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say("I want a refund please")
    assert "asked our team to approve" in turn["replies"][0]["text"]
    approval_id = await scalar(
        server.runtime.settings.database_url,
        "SELECT id FROM approvals WHERE status = 'pending' "
        f"AND conversation_id = {turn['conversation_id']}",
    )
    async with await connect(aio, server, maria) as ws:
        await server.runtime.engine.decide_approval(approval_id, approved=True, decided_by="U_ANA")
        pushed = (await next_frame(ws, "message"))["message"]
    assert "issued" in pushed["text"]


async def test_a_lagging_listener_is_told_to_catch_up_instead_of_dropping_silently() -> None:
    adapter = WebchatAdapter()
    listener = adapter.listen("ws_1")
    for i in range(QUEUE_SIZE + 10):
        await adapter.send(OutboundMessage(i, 1, "webchat", "ws_1", f"reply {i}"))

    kinds = [listener.queue.get_nowait().kind for _ in range(listener.queue.qsize())]
    assert kinds[-1] == "lagging"
    assert kinds.count("lagging") == 1
    assert len(kinds) < QUEUE_SIZE + 1
    adapter.forget("ws_1", listener)
    assert adapter.open_sockets() == 0


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        (None, "chat.acme.test", ["https://www.acme.test"], True),  # not a browser
        ("https://www.acme.test", "chat.acme.test", ["https://www.acme.test"], True),
        ("https://chat.acme.test", "chat.acme.test", ["https://www.acme.test"], True),
        ("https://evil.test", "chat.acme.test", ["https://www.acme.test"], False),
        ("https://evil.test", "chat.acme.test", [], False),
        ("https://evil.test", "chat.acme.test", ["*"], True),
        ("https://evil.test", "chat.acme.test", None, True),  # not configured
    ],
)
def test_websocket_origin_policy(
    origin: str | None, host: str, allowed: list[str] | None, ok: bool
) -> None:
    assert origin_allowed(origin, host, allowed) is ok


async def test_an_open_widget_reads_the_mode_once_a_turn_not_once_a_message(
    server: LiveServer, http: httpx.AsyncClient, aio: aiohttp.ClientSession
) -> None:
    """Replies are pushed as they are; only the turn's "changed" event makes the socket
    look the mode up again (it used to after every message too: a query per reply per
    open widget)."""
    maria = await open_webchat(http, "cus_maria")
    await maria.say("hi")
    lookups: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if " ".join(statement.split()).startswith("SELECT conversations.id, conversations.mode "):
            lookups.append(statement)  # the widget's mode look-up

    engine = server.runtime.db.sync_engine
    async with await connect(aio, server, maria) as ws:
        event.listen(engine, "before_cursor_execute", record)
        try:
            turn = await maria.say("Where is my order 1042?")
            assert turn["replies"]
            await next_frame(ws, "message")
            await server.runtime.engine.settle()
            await asyncio.sleep(0.2)  # the socket's own task handles the events
        finally:
            event.remove(engine, "before_cursor_execute", record)
    assert len(lookups) == 1, lookups
