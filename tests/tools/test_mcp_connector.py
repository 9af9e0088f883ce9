"""The mcp connector against a real MCP server (the SDK's own, `tests/support/
mcp_docs_server.py`), over stdio and over streamable HTTP on 127.0.0.1: only the listed
tools exposed, the verified customer's e-mail bound whatever the arguments say, arguments
checked before any call, errors and timeouts reported honestly, a dead server reconnected,
no server process left behind, secrets kept out of every message."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

import tools.catalog  # noqa: F401  (registers the built-in tools)
from storage.db import create_engine, session_factory, transaction
from storage.models import Customer
from tests.support.callers import new_caller
from tests.support.databases import DatabaseFactory
from tests.support.server import free_port
from tools.arguments import InvalidArguments, arguments_schema
from tools.base import Caller, NotVerified, ToolBox, ToolError
from tools.connectors import check_connectors, open_connectors
from tools.connectors.config import ConnectorError, McpConnector, Providers
from tools.connectors.resilience import Rejected, Unavailable

SERVER = Path(__file__).parents[1] / "support" / "mcp_docs_server.py"
TOKEN = "mcp-tok-5e4d3c2b1a"
ENV_SECRET = "env-secret-77aa66bb"
MARIA = "maria@example.com"
TOOLS = {
    "search_docs": {"description": "Search the help centre."},
    "article_text": {},
    "rate_article": {"risk": "write"},
    "broken_search": {},
    "slow_search": {},
}


@dataclass
class DocsServer:
    """The docs MCP server of one transport, and what it recorded."""

    transport: str
    record_path: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    """The HTTP server (a stdio server is started by the connector itself)."""
    env: dict[str, str] = field(default_factory=dict)

    def config(self, **overrides: Any) -> McpConnector:
        raw: dict[str, Any] = {
            "kind": "mcp",
            "tools": TOOLS,
            "bind": {"customer_email": "customer.email"},
            "timeout_s": 5,
        }
        if self.transport == "stdio":
            raw["command"] = [sys.executable, str(SERVER)]
            raw["env"] = {"DOCS_MCP_RECORD": str(self.record_path), "DOCS_SECRET": ENV_SECRET}
        else:
            raw["url"] = f"http://127.0.0.1:{self.port}/mcp"
            raw["headers"] = {"Authorization": f"Bearer {TOKEN}"}
        raw.update(overrides)
        return McpConnector.model_validate(raw)

    def seen(self) -> list[dict[str, Any]]:
        if not self.record_path.exists():
            return []
        lines = self.record_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def calls(self) -> list[dict[str, Any]]:
        return [entry for entry in self.seen() if "tool" in entry]

    def pids(self) -> list[int]:
        return [entry["pid"] for entry in self.seen() if entry.get("event") == "start"]

    def start_http(self) -> None:
        self.port = self.port or free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--http", "--port", str(self.port)], env=self.env
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the docs server exited"
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise TimeoutError("the docs server did not listen")

    def stop_http(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def kill_server(self) -> None:
        """The server dies (SIGKILL), as a crashed one does."""
        if self.transport == "http":
            self.stop_http()
        else:
            os.kill(self.pids()[-1], signal.SIGKILL)


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocsServer]:
    record = tmp_path_factory.mktemp("mcp_http") / "seen.jsonl"
    env = dict(os.environ, DOCS_MCP_RECORD=str(record), DOCS_MCP_TOKEN=TOKEN)
    server = DocsServer("http", record, env=env)
    server.start_http()
    yield server
    server.stop_http()


@pytest.fixture
def stdio_docs(tmp_path: Path) -> DocsServer:
    return DocsServer("stdio", tmp_path / "seen.jsonl")


@pytest.fixture
def http_docs(http_server: DocsServer) -> DocsServer:
    if http_server.process is None or http_server.process.poll() is not None:
        http_server.start_http()  # a test killed it
    http_server.record_path.write_text("", encoding="utf-8")
    return http_server


@pytest.fixture(params=["stdio", "http"])
def docs(request: pytest.FixtureRequest) -> DocsServer:
    """The contract every transport meets: each test runs over stdio and over HTTP."""
    server: DocsServer = request.getfixturevalue(f"{request.param}_docs")
    return server


@pytest.fixture
async def sessions(
    sqlite_databases: DatabaseFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    # SQLite only: the connector reads the customer through the same query either way
    # (tests/tools/test_http_connector.py runs that on both databases).
    engine = create_engine(sqlite_databases.fresh())
    yield session_factory(engine)
    await engine.dispose()


async def _caller(sessions: async_sessionmaker[AsyncSession], user_id: str | None) -> Caller:
    """A conversation and an inbound message; verified as `user_id` unless None."""
    async with transaction(sessions) as session:
        customer_id = None
        if user_id is not None:
            customer = (
                await session.exec(select(Customer).where(Customer.user_id == user_id))
            ).one()
            customer_id = customer.id
        return await new_caller(session, customer_id, "c1")


def _connected(config: McpConnector) -> Any:
    return open_connectors({"docs": config}, Providers(), Path("."))


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


async def test_only_listed_tools_are_exposed_without_the_bound_arguments(
    docs: DocsServer,
) -> None:
    async with _connected(docs.config()) as connections:
        catalog = connections.catalog
    names = {name for name in catalog if name.startswith("docs.")}
    assert names == {f"docs.{tool}" for tool in TOOLS}  # not docs.delete_all_articles
    search = catalog["docs.search_docs"]
    schema = arguments_schema(search)
    assert set(schema["properties"]) == {"query", "limit"}
    assert schema["required"] == ["query"]
    assert search.description == "Search the help centre."  # the policy's, not the server's
    assert search.connector == "docs" and search.risk == "read" and not search.public
    assert catalog["docs.rate_article"].risk == "write"
    article = catalog["docs.article_text"]
    assert article.description == "The text of one article (plain text, not JSON)."
    assert set(arguments_schema(article)["properties"]) == {"article_id"}


async def test_a_call_binds_the_verified_customers_email_whatever_the_arguments_say(
    docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    maria = await _caller(sessions, "cus_maria")
    async with _connected(docs.config()) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        found = await box.call("docs.search_docs", query="router")
        spoofed = await box.call(
            "docs.search_docs", query="plan", customer_email="sam@example.com", admin=True
        )

    assert [a["id"] for a in found["articles"]] == ["kb-101", "kb-103"]
    assert spoofed["for"] == MARIA
    assert [(c["query"], c["customer_email"]) for c in docs.calls()] == [
        ("router", MARIA),
        ("plan", MARIA),
    ]
    assert [entry["status"] for entry in box.log] == ["ok", "ok"]
    assert box.log[0]["connector"] == "docs"


async def test_text_answers_are_returned_as_text_or_decoded_json(
    docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    maria = await _caller(sessions, "cus_maria")
    async with _connected(docs.config()) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        text = await box.call("docs.article_text", article_id="kb-102")
        rated = await box.call("docs.rate_article", article_id="kb-102", helpful=True)

    assert text == "Plans change next period."
    assert rated == {"rated": "kb-102", "helpful": True}
    assert docs.calls()[-1]["customer_email"] == MARIA


async def test_a_tool_error_is_rejected_and_bad_arguments_never_reach_the_server(
    docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    maria = await _caller(sessions, "cus_maria")
    async with _connected(docs.config()) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        with pytest.raises(Rejected, match=r"docs\.broken_search") as rejected:
            await box.call("docs.broken_search", query="router")
        assert isinstance(rejected.value, ToolError)
        with pytest.raises(Rejected, match="no article kb-999"):
            await box.call("docs.article_text", article_id="kb-999")
        calls_before = len(docs.calls())
        with pytest.raises(InvalidArguments, match="query"):
            await box.call("docs.search_docs", query=42)
        with pytest.raises(InvalidArguments, match="query"):
            await box.call("docs.search_docs")
        with pytest.raises(ToolError, match="unknown tool"):
            await box.call("docs.delete_all_articles")

    assert len(docs.calls()) == calls_before == 2
    assert [entry["status"] for entry in box.log] == ["rejected", "rejected", "invalid", "invalid"]


async def test_no_verified_customer_means_no_call(
    docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    anonymous = await _caller(sessions, None)
    async with _connected(docs.config()) as connections:
        with pytest.raises(NotVerified):
            await ToolBox(sessions, anonymous, connections.catalog).call(
                "docs.search_docs", query="router", customer_email=MARIA
            )
    assert docs.calls() == []


async def test_a_slow_tool_times_out_as_unavailable_and_the_breaker_opens(
    docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    maria = await _caller(sessions, "cus_maria")
    config = docs.config(timeout_s=0.5, breaker={"failures": 2, "cooldown_s": 60})
    async with _connected(config) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        for _ in range(2):
            with pytest.raises(Unavailable, match=r"no answer within 0\.5 s"):
                await box.call("docs.slow_search", query="x", seconds=10)
        with pytest.raises(Unavailable, match="docs is unavailable right now"):
            await box.call("docs.search_docs", query="router")
    assert [c["tool"] for c in docs.calls()] == ["slow_search", "slow_search"]


async def test_a_dead_server_is_reconnected_and_a_write_is_never_sent_twice(
    docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    maria = await _caller(sessions, "cus_maria")
    async with _connected(docs.config()) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        await box.call("docs.search_docs", query="router")

        docs.kill_server()
        await asyncio.sleep(0.2)
        # A write over the lost connection: it is not sent again (it may have been made).
        with pytest.raises(Unavailable, match="was lost; the call may or may not have been made"):
            await box.call("docs.rate_article", article_id="kb-101", helpful=False)
        if docs.transport == "http":
            with pytest.raises(Unavailable, match="could not connect"):
                await box.call("docs.search_docs", query="router")
            docs.start_http()
        # The next read opens a new session (a new server process for stdio).
        again = await box.call("docs.search_docs", query="lights")
        assert again["for"] == MARIA

    assert [c["tool"] for c in docs.calls()] == ["search_docs", "search_docs"]
    if docs.transport == "stdio":
        first, second = docs.pids()
        assert first != second and not _alive(first) and not _alive(second)


async def test_a_read_over_a_lost_stdio_session_is_sent_again_on_a_new_one(
    stdio_docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    docs = stdio_docs
    maria = await _caller(sessions, "cus_maria")
    async with _connected(docs.config()) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        await box.call("docs.search_docs", query="router")
        docs.kill_server()
        await asyncio.sleep(0.2)
        assert (await box.call("docs.search_docs", query="plan"))["for"] == MARIA
    assert len(docs.pids()) == 2


async def test_concurrent_calls_share_one_session(
    docs: DocsServer, sessions: async_sessionmaker[AsyncSession]
) -> None:
    maria = await _caller(sessions, "cus_maria")
    async with _connected(docs.config()) as connections:
        box = ToolBox(sessions, maria, connections.catalog)
        queries = ["router", "plan", "lights", "reset", "router"]
        answers = await asyncio.gather(
            *(box.call("docs.search_docs", query=query) for query in queries)
        )
    assert all(answer["for"] == MARIA for answer in answers)
    assert sorted(c["query"] for c in docs.calls()) == sorted(queries)
    if docs.transport == "stdio":
        assert len(docs.pids()) == 1


async def test_close_leaves_no_stdio_server_process(stdio_docs: DocsServer) -> None:
    docs = stdio_docs
    async with _connected(docs.config()) as connections:
        [pid] = docs.pids()
        assert _alive(pid) and "docs.search_docs" in connections.catalog
    assert not _alive(pid)


async def test_a_listed_tool_the_server_lacks_fails_at_start_naming_it(docs: DocsServer) -> None:
    config = docs.config(tools={"search_docs": {}, "translate": {}})
    with pytest.raises(ConnectorError, match=r"connectors\.docs\.tools\.translate") as failed:
        async with _connected(config):
            pass
    assert "search_docs" in str(failed.value)  # what it does offer
    for pid in docs.pids() if docs.transport == "stdio" else []:
        assert not _alive(pid)


async def test_a_public_tool_may_not_take_a_bound_argument(docs: DocsServer) -> None:
    config = docs.config(tools={"search_docs": {"public": True}})
    with pytest.raises(ConnectorError, match=r"tools\.search_docs: a public tool cannot take"):
        async with _connected(config):
            pass


async def test_a_server_down_at_start_is_served_without_and_no_secret_is_told(
    docs: DocsServer,
) -> None:
    if docs.transport == "http":
        config = docs.config(url=f"http://127.0.0.1:{free_port()}/mcp")
    else:
        config = docs.config(command=[sys.executable, "-c", "import sys; sys.exit(3)"])
    async with _connected(config) as connections:
        assert "docs.search_docs" not in connections.catalog
        why = connections.unreachable["docs"]
    assert "could not connect" in why or "did not answer" in why
    assert TOKEN not in why and ENV_SECRET not in why


async def test_a_wrong_token_is_refused_without_telling_the_token(http_docs: DocsServer) -> None:
    config = http_docs.config(headers={"Authorization": "Bearer wrong-token-123"})
    async with _connected(config) as connections:
        why = connections.unreachable["docs"]
    assert "could not connect" in why and "wrong-token-123" not in why and TOKEN not in why


async def test_check_lists_the_servers_tools(docs: DocsServer) -> None:
    [check] = await check_connectors({"docs": docs.config()}, Path("."))
    assert check.ok, check.detail
    assert check.detail == f"6 tools, {len(TOOLS)} exposed"
    assert check.tools == len(TOOLS) and check.kind == "mcp"


async def test_a_stdio_server_is_started_in_the_policy_s_folder(
    tmp_path: Path, sessions: async_sessionmaker[AsyncSession]
) -> None:
    record = tmp_path / "seen.jsonl"
    config = McpConnector.model_validate(
        {
            "kind": "mcp",
            "command": [sys.executable, SERVER.name],  # relative, as a policy writes it
            "env": {"DOCS_MCP_RECORD": str(record)},
            "tools": {"search_docs": {}},
            "bind": {"customer_email": "customer.email"},
        }
    )
    maria = await _caller(sessions, "cus_maria")
    async with open_connectors({"docs": config}, Providers(), SERVER.parent) as connections:
        found = await ToolBox(sessions, maria, connections.catalog).call(
            "docs.search_docs", query="router"
        )
    assert found["for"] == MARIA
