"""An `mcp` connector: the tools an MCP server offers (stdio or streamable HTTP), those the
policy lists and no others, through the official `mcp` SDK client.

The model sees the server's input schema minus every `bind:` argument; those are filled
from the verified customer's record (a value the model passes for one is dropped). One
session per connector is opened at start and shared by all calls; a call that finds it
lost (the server died) opens a new one, and a read is sent again once on it. A write is
never sent twice: it may have been made before the connection broke.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CONNECTION_CLOSED, REQUEST_TIMEOUT, CallToolResult, TextContent, Tool
from sqlmodel.ext.asyncio.session import AsyncSession

from tools.arguments import check_arguments, schema_problem
from tools.base import Caller, ToolSpec
from tools.connectors.binding import bound_customer
from tools.connectors.config import ConnectorError, McpConnector, McpTool
from tools.connectors.resilience import CircuitBreaker, Rejected, Unavailable

CONNECT_TIMEOUT_S = 20.0
"""Starting a stdio server is starting a program; a call's timeout is often shorter."""
CLOSE_TIMEOUT_S = 10.0
MESSAGE_CHARS = 160
MAX_PAGES = 20


class _Session:
    """One MCP session, held open by a task of its own: the SDK's transports are anyio task
    groups, which must be left by the task that entered them, and calls come from many."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.lost = False
        """A call found the connection closed (the server died or hung up)."""
        self._opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def broken(self) -> bool:
        return self.lost or self._task is None or self._task.done()

    async def open(self, timeout: float) -> None:
        self._task = asyncio.create_task(self._hold())
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._opened)
        except BaseException:
            self._task.cancel()  # it may be stuck in the handshake
            await asyncio.wait({self._task})
            if self._opened.done() and not self._opened.cancelled():
                self._opened.exception()  # retrieved: it is re-raised here
            raise

    async def _hold(self) -> None:
        try:
            async with self.client:
                self._opened.set_result(None)
                await self._closing.wait()
        except Exception as exc:  # seen by the opener, or by the next call as `broken`
            if not self._opened.done():
                self._opened.set_exception(exc)

    async def close(self) -> None:
        self._closing.set()
        task = self._task
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=CLOSE_TIMEOUT_S)
        if not done:  # a stdio server the SDK could not stop: abandon the session
            task.cancel()
            await asyncio.wait({task})


class McpService:
    """One `mcp` connector: its session, breaker and the server's tools its policy lists."""

    def __init__(self, name: str, config: McpConnector, directory: Path | None = None) -> None:
        self.name = name
        self.config = config
        self.directory = directory
        """Where a stdio server is started (the policy's folder: `[python, server.py]`)."""
        self.breaker = CircuitBreaker(name, config.breaker)
        self.tools: dict[str, Tool] = {}
        """The server's own description of each listed tool (read at start)."""
        self._session: _Session | None = None
        self._reconnecting = asyncio.Lock()
        self._closed = False

    async def start(self) -> None:
        """Connect, list the server's tools and keep the listed ones. `Unavailable` when
        the server does not answer; `ConnectorError` when it lacks a listed tool."""
        self._session, offered = await self._open()
        try:
            self.tools = self._listed(offered)
        except ConnectorError:
            await self.close()
            raise

    def _listed(self, offered: dict[str, Tool]) -> dict[str, Tool]:
        tools = {}
        for tool_name, policy in self.config.tools.items():
            where = f"connectors.{self.name}.tools.{tool_name}"
            tool = offered.get(tool_name)
            if tool is None:
                known = ", ".join(sorted(offered)) or "none"
                raise ConnectorError(f"{where}: the server has no such tool (it offers {known})")
            problem = schema_problem(tool.input_schema)
            if problem:
                raise ConnectorError(f"{where}: the server's input schema is unusable: {problem}")
            bound = self._bound(tool)
            if policy.public and bound:
                raise ConnectorError(
                    f"{where}: a public tool cannot take bound arguments ({', '.join(bound)})"
                )
            tools[tool_name] = tool
        return tools

    def _bound(self, tool: Tool) -> dict[str, str]:
        """The `bind:` arguments this tool takes, with their sources."""
        properties = tool.input_schema.get("properties", {})
        return {arg: source for arg, source in self.config.bind.items() if arg in properties}

    def specs(self) -> dict[str, ToolSpec]:
        specs = {}
        for tool_name, policy in self.config.tools.items():
            full_name = f"{self.name}.{tool_name}"
            tool = self.tools[tool_name]
            specs[full_name] = ToolSpec(
                name=full_name,
                risk=policy.risk,
                public=policy.public,
                func=self._tool_function(full_name, tool_name, policy),
                about=policy.description or (tool.description or "").strip(),
                parameters=self._model_schema(tool),
                connector=self.name,
            )
        return specs

    def _model_schema(self, tool: Tool) -> dict[str, Any]:
        """The server's input schema without the bound arguments."""
        bound = self._bound(tool)
        schema = dict(tool.input_schema)
        schema["properties"] = {
            key: value for key, value in schema.get("properties", {}).items() if key not in bound
        }
        if "required" in schema:
            schema["required"] = [key for key in schema["required"] if key not in bound]
        return schema

    def _tool_function(
        self, full_name: str, tool_name: str, policy: McpTool
    ) -> Callable[..., Awaitable[Any]]:
        tool = self.tools[tool_name]
        schema = self._model_schema(tool)
        declared = set(schema["properties"])
        bound = self._bound(tool)

        async def call(session: AsyncSession, caller: Caller, **arguments: Any) -> Any:
            # A bound argument is never the model's to give, whatever the schema allows.
            given = {key: value for key, value in arguments.items() if key not in bound}
            checked = check_arguments(checking, given)
            checked = {key: value for key, value in checked.items() if key in declared}
            if bound:
                customer = await bound_customer(session, caller, full_name)
                checked |= {arg: customer.value(source, full_name) for arg, source in bound.items()}
            resend = policy.risk == "read"
            return await self.breaker.call(
                full_name, lambda: self._call(full_name, tool_name, checked, resend)
            )

        checking = ToolSpec(full_name, policy.risk, policy.public, call, parameters=schema)
        return call

    async def _call(
        self, full_name: str, tool_name: str, arguments: dict[str, Any], resend: bool
    ) -> Any:
        session = await self._live()
        try:
            result = await self._send(full_name, session, tool_name, arguments)
        except _Lost:
            if not resend:
                raise Unavailable(
                    f"{full_name}: the connection to {self.name} was lost; "
                    "the call may or may not have been made"
                ) from None
            session = await self._reconnect(session)
            try:
                result = await self._send(full_name, session, tool_name, arguments)
            except _Lost:
                raise Unavailable(f"{full_name}: the connection to {self.name} was lost") from None
        return _answer(full_name, result)

    async def _send(
        self, full_name: str, session: _Session, tool_name: str, arguments: dict[str, Any]
    ) -> CallToolResult:
        timeout = self.config.timeout_s
        try:
            return await session.client.call_tool(
                tool_name, arguments, read_timeout_seconds=timeout
            )
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                session.lost = True
                raise _Lost() from None
            if exc.code == REQUEST_TIMEOUT:
                raise Unavailable(f"{full_name}: no answer within {timeout:g} s") from None
            raise Rejected(
                f"{full_name}: {self.name} refused the call ({_short(exc.message)})"
            ) from None
        except TimeoutError:
            raise Unavailable(f"{full_name}: no answer within {timeout:g} s") from None
        except Exception as exc:  # a malformed answer, a transport failure
            raise Unavailable(f"{full_name}: {self.name} failed ({type(exc).__name__})") from None

    async def _live(self) -> _Session:
        session = self._session
        if session is not None and not session.broken:
            return session
        return await self._reconnect(session)

    async def _reconnect(self, broken: _Session | None) -> _Session:
        """A new session in place of `broken` (once, however many calls found it so)."""
        async with self._reconnecting:
            current = self._session
            if current is not None and current is not broken and not current.broken:
                return current
            if self._closed:
                raise Unavailable(f"{self.name} is closed")
            self._session = None
            if broken is not None:
                await broken.close()
            self._session, _ = await self._open()
            return self._session

    async def _open(self) -> tuple[_Session, dict[str, Tool]]:
        """A new session and the tools the server offers."""
        session = _Session(self._client())
        try:
            await session.open(max(self.config.timeout_s, CONNECT_TIMEOUT_S))
        except FileNotFoundError:
            assert self.config.command is not None
            raise ConnectorError(
                f"connectors.{self.name}.command: {self.config.command[0]!r} was not found"
            ) from None
        except TimeoutError:
            raise Unavailable(f"{self.name}: the MCP server did not answer") from None
        except Exception as exc:
            raise Unavailable(f"{self.name}: could not connect ({_reason(exc)})") from None
        try:
            offered = await self._offered(session)
        except BaseException:
            await session.close()
            raise
        return session, offered

    async def _offered(self, session: _Session) -> dict[str, Tool]:
        tools: dict[str, Tool] = {}
        cursor: str | None = None
        try:
            async with asyncio.timeout(self.config.timeout_s):
                for _ in range(MAX_PAGES):
                    page = await session.client.list_tools(cursor=cursor)
                    tools |= {tool.name: tool for tool in page.tools}
                    cursor = page.next_cursor
                    if cursor is None:
                        break
        except TimeoutError:
            raise Unavailable(
                f"{self.name}: no tool list within {self.config.timeout_s:g} s"
            ) from None
        except Exception as exc:
            raise Unavailable(f"{self.name}: could not list tools ({_reason(exc)})") from None
        return tools

    def _client(self) -> Client:
        if self.config.command is not None:
            program, *args = self.config.command
            env = {key: value.get_secret_value() for key, value in self.config.env.items()}
            server = StdioServerParameters(command=program, args=args, env=env, cwd=self.directory)
            return Client(server, cache=None)
        assert self.config.url is not None
        headers = {key: value.get_secret_value() for key, value in self.config.headers.items()}
        http = httpx2.AsyncClient(
            headers=headers, timeout=httpx2.Timeout(self.config.timeout_s, read=300)
        )
        return Client(_http_transport(http, self.config.url), cache=None)

    async def check(self) -> str:
        """The server's tool list, asked for again: `6 tools, 2 exposed`."""
        session = await self._live()
        offered = await self._offered(session)
        missing = sorted(set(self.config.tools) - set(offered))
        if missing:
            raise Rejected(f"the server no longer has {', '.join(missing)}")
        return f"{len(offered)} tools, {len(self.config.tools)} exposed"

    async def close(self) -> None:
        self._closed = True
        async with self._reconnecting:
            session, self._session = self._session, None
            if session is not None:
                await session.close()


class _Lost(Exception):
    """The session's connection closed under a call."""


@asynccontextmanager
async def _http_transport(http: httpx2.AsyncClient, url: str) -> AsyncIterator[Any]:
    """The streamable-HTTP transport over our client (headers, timeouts), closing it after."""
    async with http, streamable_http_client(url, http_client=http) as streams:
        yield streams


def _answer(full_name: str, result: CallToolResult) -> Any:
    """The structured content when given, else the text (decoded when it is JSON)."""
    text = "\n".join(block.text for block in result.content if isinstance(block, TextContent))
    if result.is_error:
        raise Rejected(f"{full_name}: {_short(text) or 'the tool failed'}")
    if result.structured_content is not None:
        return result.structured_content
    if not text.strip():
        return {"ok": True}
    try:
        return json.loads(text)
    except ValueError:
        return text


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def _reason(exc: BaseException) -> str:
    """What went wrong, in a few words: never the URL, headers or environment."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        return _short(exc.message)
    return type(exc).__name__
