"""OpenTelemetry: with OTEL_EXPORTER_OTLP_ENDPOINT set, each turn reaches an OTLP
collector as a span with its nodes; without it nothing is exported."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.conftest import make_settings, open_webchat
from tests.support.server import free_port, run_server


@pytest.fixture
async def collector() -> AsyncIterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    async def traces(request: Request) -> Response:
        received.append(await request.body())
        return Response(status_code=200)

    port = free_port()
    app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        server.should_exit = True
        await task


async def test_turns_are_exported_as_spans(
    database_url: str, collector: tuple[str, list[bytes]]
) -> None:
    endpoint, received = collector
    settings = make_settings(database_url, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    async with run_server(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        maria = await open_webchat(http, "cus_maria")
        await maria.say(
            "My payment failed twice, but I was still charged. I need this fixed today."
        )
    # The server's shutdown flushed the batch.
    payload = b"".join(received)
    assert b"switchboard" in payload and b"turn" in payload
    assert b"node billing_issue" in payload and b"workflow:billing_issue" in payload
    assert b"maria" not in payload.lower()  # ids, intent and route only: no customer data


async def test_nothing_is_exported_without_the_setting(
    database_url: str, collector: tuple[str, list[bytes]]
) -> None:
    _, received = collector
    async with (
        run_server(make_settings(database_url)) as live,
        httpx.AsyncClient(base_url=live.url) as http,
    ):
        await (await open_webchat(http)).say("hello")
    assert received == []
