"""Bad input at the HTTP edge: oversize bodies, odd text, floods, a database that is gone."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from storage.migrate import downgrade
from switchboard.settings import Settings
from tests.conftest import make_settings, open_webchat
from tests.support.databases import DatabaseFactory, _pg_execute
from tests.support.processes import clean_env
from tests.support.server import run_server


async def test_oversize_bodies_are_refused_before_parsing(http: httpx.AsyncClient) -> None:
    visitor = await open_webchat(http)
    huge = {"text": "x" * 100_000, "client_message_id": "big"}
    response = await http.post("/api/webchat/messages", json=huge, headers=visitor.auth)
    assert response.status_code == 413
    assert "bytes" in response.json()["error"]

    async def chunks():  # no Content-Length: counted as it streams
        for _ in range(100):
            yield b"x" * 1024

    chunked = await http.post(
        "/api/webchat/messages",
        content=chunks(),
        headers={**visitor.auth, "Content-Type": "application/json"},
    )
    assert chunked.status_code == 413
    assert (await visitor.history())["messages"] == []


@pytest.mark.parametrize(
    "text",
    [
        "مرحبا، أين طلبي؟",
        "where is my order 📦🚚?",
        "null\x00byte",
        "e\u0301\u200d\u202e tricky",
        "\U0001f600" * 1000,
    ],
    ids=["rtl", "emoji", "nul", "combining", "4000-emoji"],
)
async def test_odd_text_is_handled(http: httpx.AsyncClient, text: str) -> None:
    visitor = await open_webchat(http)
    turn = await visitor.say(text)
    assert turn["replies"]
    stored = (await visitor.history())["messages"][0]["text"]
    assert stored == text.replace("\x00", "")


async def test_a_flood_from_one_session_is_rate_limited(database_url: str) -> None:
    settings = make_settings(
        database_url, SWITCHBOARD_RATE_LIMIT_PER_S=1, SWITCHBOARD_RATE_LIMIT_BURST=5
    )
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        flooder = await open_webchat(http)
        other = await open_webchat(http)
        statuses = [
            (
                await http.post(
                    "/api/webchat/messages",
                    json={"text": "hi", "client_message_id": str(i)},
                    headers=flooder.auth,
                )
            ).status_code
            for i in range(8)
        ]
        assert statuses[:5] == [200] * 5
        assert 429 in statuses[5:]
        limited = await http.post(
            "/api/webchat/messages",
            json={"text": "hi", "client_message_id": "z"},
            headers=flooder.auth,
        )
        assert limited.headers["retry-after"]
        assert "slow down" in limited.json()["error"]
        assert (await other.say("hello"))["replies"]  # others are not slowed down


async def test_not_ready_while_migrations_are_pending(
    settings: Settings, database_url: str
) -> None:
    async with run_server(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        assert (await http.get("/readyz")).status_code == 200
        downgrade(database_url, "0007")  # someone rolls the schema back under a live server
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "migrations pending"


def test_serve_refuses_to_start_on_an_old_schema(database_url: str, tmp_path: Path) -> None:
    downgrade(database_url, "0005")
    result = subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", "serve", "--port", "1"],
        env=clean_env(SWITCHBOARD_DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "at 0005" in line and "switchboard db upgrade" in line


def _allow_connections(database: str, allowed: bool) -> None:
    # ALLOW_CONNECTIONS binds superusers too (CONNECTION LIMIT does not).
    _pg_execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
    if not allowed:
        _pg_execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        )


@pytest.mark.postgres
async def test_database_outage_gives_503_and_loses_nothing(
    postgres_databases: DatabaseFactory,
) -> None:
    url = postgres_databases.fresh()
    database = make_url(url).database or ""
    settings = make_settings(url)
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        visitor = await open_webchat(http)
        await visitor.say("hello", client_message_id="before")
        _allow_connections(database, False)
        try:
            down = await http.post(
                "/api/webchat/messages",
                json={"text": "where is my order?", "client_message_id": "during"},
                headers=visitor.auth,
            )
            assert down.status_code == 503
            assert down.headers["retry-after"]
            assert (await http.get("/readyz")).status_code == 503
        finally:
            _allow_connections(database, True)
        await asyncio.sleep(0.5)
        retried = await visitor.say("where is my order?", client_message_id="during")
        assert retried["replies"]
        history = (await visitor.history())["messages"]
    assert [m["role"] for m in history] == ["customer", "bot", "customer", "bot"]


async def test_the_widget_api_answers_cross_origin_preflights(http: httpx.AsyncClient) -> None:
    response = await http.options(
        "/api/webchat/messages",
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "https://shop.example")


async def test_allowed_origins_restrict_embedding(database_url: str) -> None:
    settings = make_settings(
        database_url, SWITCHBOARD_WEBCHAT_ALLOWED_ORIGINS="https://shop.example"
    )
    async with run_server(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        allowed = await http.options(
            "/api/webchat/sessions",
            headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
        )
        refused = await http.options(
            "/api/webchat/sessions",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
    assert allowed.headers.get("access-control-allow-origin") == "https://shop.example"
    assert "access-control-allow-origin" not in refused.headers
