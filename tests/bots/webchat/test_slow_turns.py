"""A turn slower than the request's wait, through the real web chat API: the POST says
"still processing" (202) instead of an empty 200, and the reply arrives over the socket
and in the history; posting the same message again neither loses nor repeats it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from tests.conftest import WebchatClient, make_settings, open_webchat
from tests.graph.test_agent import small_talk, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.server import LiveServer, run_server
from tests.support.slow_openai import SlowOpenAI, run_slow_openai

REPLY = "Good morning! I can help with payments and orders."


@pytest.fixture
async def model() -> AsyncIterator[SlowOpenAI]:
    async with run_slow_openai() as slow:
        slow.fake.queue(small_talk(REPLY))
        slow.delay_s = 2.0  # the model answers after 2 s; requests wait 0.5 s
        yield slow


@pytest.fixture
async def server(
    sqlite_databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path
) -> AsyncIterator[LiveServer]:
    settings = make_settings(
        sqlite_databases.fresh(),
        SWITCHBOARD_LLM_MODEL="fake-model",
        SWITCHBOARD_LLM_BASE_URL=model.url,
        OPENAI_API_KEY="sk-test",
        SWITCHBOARD_POLICY=str(write_policy(tmp_path)),
        SWITCHBOARD_TURN_WAIT_S=0.5,
    )
    async with run_server(settings) as live:
        yield live


async def post(visitor: WebchatClient, text: str, client_message_id: str) -> httpx.Response:
    return await visitor.http.post(
        "/api/webchat/messages",
        json={"text": text, "client_message_id": client_message_id},
        headers=visitor.auth,
    )


async def bot_texts(visitor: WebchatClient) -> list[str]:
    return [m["text"] for m in (await visitor.history())["messages"] if m["role"] == "bot"]


async def next_message(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    while True:
        frame = await ws.receive(timeout=10)
        data: dict[str, Any] = json.loads(frame.data)
        if data["type"] == "message":
            return dict(data["message"])


async def test_a_slow_reply_is_accepted_then_pushed_and_kept(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    maria = await open_webchat(http, "cus_maria")
    socket_url = server.url.replace("http://", "ws://") + f"/api/webchat/ws?token={maria.token}"
    async with aiohttp.ClientSession() as aio, aio.ws_connect(socket_url) as ws:
        assert json.loads((await ws.receive(timeout=10)).data)["type"] == "ready"

        accepted = await post(maria, "Good morning", "slow-1")
        assert accepted.status_code == 202, accepted.text
        turn = accepted.json()
        assert turn["status"] == "processing"
        assert turn["replies"] == []
        assert await bot_texts(maria) == []  # not yet: the model is still thinking

        pushed = await next_message(ws)
    assert pushed["text"] == REPLY
    assert await bot_texts(maria) == [REPLY]

    again = await post(maria, "Good morning", "slow-1")  # the widget's retry, after it
    assert again.status_code == 200
    assert again.json()["message_id"] == turn["message_id"]
    assert [r["text"] for r in again.json()["replies"]] == [REPLY]
    assert again.json()["status"] == "done"


async def test_a_retry_while_the_turn_runs_is_accepted_again_and_runs_nothing_twice(
    http: httpx.AsyncClient, model: SlowOpenAI
) -> None:
    maria = await open_webchat(http, "cus_maria")
    first = await post(maria, "Good morning", "slow-2")
    retry = await post(maria, "Good morning", "slow-2")
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json()["message_id"] == first.json()["message_id"]

    for _ in range(100):  # the widget's polling while its socket is down
        if await bot_texts(maria):
            break
        await asyncio.sleep(0.1)
    assert await bot_texts(maria) == [REPLY]
    history = (await maria.history())["messages"]
    assert [m["role"] for m in history] == ["customer", "bot"]
    assert model.started == 1


async def test_the_202_answer_is_in_the_openapi_schema(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/openapi.json")).json()
    responses = schema["paths"]["/api/webchat/messages"]["post"]["responses"]
    assert "202" in responses and "200" in responses
    assert "TurnOut" in json.dumps(responses["202"])
