"""The floor the benchmark measures every target against must really be durable: both
messages stored and one checkpoint a turn, on both databases."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from bench.floor.app import create_floor_app
from storage.db import create_engine
from tests.conftest import IDENTITY_SECRET, user_hash


async def _count(database_url: str, sql: str, **params: object) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql), params)).scalar_one())
    finally:
        await engine.dispose()


async def test_a_floor_turn_stores_both_messages_and_one_checkpoint(database_url: str) -> None:
    app = create_floor_app(database_url, IDENTITY_SECRET)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://floor") as http,
    ):
        forged = {"user_id": "cus_maria", "user_hash": "0" * 64}
        assert (await http.post("/api/webchat/sessions", json=forged)).status_code == 401
        signed = {"user_id": "cus_maria", "user_hash": user_hash("cus_maria")}
        session = (await http.post("/api/webchat/sessions", json=signed)).json()
        auth = {"Authorization": f"Bearer {session['token']}"}
        turns = []
        for n, said in enumerate(["Where is my order 1042?", "thanks"]):
            body = {"text": said, "client_message_id": f"m{n}"}
            response = await http.post("/api/webchat/messages", json=body, headers=auth)
            assert response.status_code == 200, response.text
            turns.append(response.json())
    assert [t["route"] for t in turns] == ["floor:order_status", "floor:other"]
    conversation = turns[0]["conversation_id"]
    stored = "SELECT count(*) FROM messages WHERE conversation_id = :c"
    assert await _count(database_url, stored, c=conversation) == 4
    checkpoints = "SELECT count(*) FROM graph_checkpoints WHERE thread_id = :t"
    assert await _count(database_url, checkpoints, t=str(conversation)) == 1  # the newest
