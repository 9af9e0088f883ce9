"""Shared fixtures: fresh databases of both kinds, settings, a live server, a web chat client."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.settings import Settings, load_settings
from tests.support.databases import DatabaseFactory, postgres_unavailable_reason
from tests.support.server import LiveServer, run_server

ADMIN_TOKEN = "test-admin-token"
IDENTITY_SECRET = "test-identity-secret"
DB_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_databases(tmp_path_factory: pytest.TempPathFactory) -> DatabaseFactory:
    return DatabaseFactory("sqlite", tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    factory = DatabaseFactory("postgres", tmp_path_factory.mktemp("pg"))
    yield factory
    factory.cleanup()


@pytest.fixture(params=DB_KINDS)
def databases(request: pytest.FixtureRequest) -> DatabaseFactory:
    """Runs the test once on SQLite and once on PostgreSQL."""
    name = "sqlite_databases" if request.param == "sqlite" else "postgres_databases"
    factory: DatabaseFactory = request.getfixturevalue(name)
    return factory


@pytest.fixture
def database_url(databases: DatabaseFactory) -> str:
    """A fresh migrated database with the demo company loaded."""
    return databases.fresh()


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SWITCHBOARD_DATABASE_URL": database_url,
        "SWITCHBOARD_ADMIN_TOKEN": ADMIN_TOKEN,
        "SWITCHBOARD_WEBCHAT_IDENTITY_SECRET": IDENTITY_SECRET,
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    async with run_server(settings) as live:
        yield live


def user_hash(user_id: str, secret: str = IDENTITY_SECRET) -> str:
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


class WebchatClient:
    """A web chat visitor talking to the live server over HTTP, as the widget does."""

    def __init__(self, http: httpx.AsyncClient, token: str, session_id: str) -> None:
        self.http = http
        self.token = token
        self.session_id = session_id

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def say(self, text: str, client_message_id: str | None = None) -> dict[str, Any]:
        response = await self.http.post(
            "/api/webchat/messages",
            json={"text": text, "client_message_id": client_message_id or uuid.uuid4().hex},
            headers=self.auth,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def history(self, after: int = 0) -> dict[str, Any]:
        response = await self.http.get(
            "/api/webchat/messages", params={"after": after}, headers=self.auth
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


async def open_webchat(
    http: httpx.AsyncClient, user_id: str | None = None, name: str | None = None
) -> WebchatClient:
    body: dict[str, Any] = {}
    if user_id:
        body = {"user_id": user_id, "user_hash": user_hash(user_id)}
    if name:
        body["name"] = name
    response = await http.post("/api/webchat/sessions", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return WebchatClient(http, data["token"], data["session_id"])


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
