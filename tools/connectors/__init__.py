"""Connectors: the company's own systems (its REST APIs, Stripe, MCP servers) as tools.

`open_connectors` starts every connector a policy names and yields the deployment's
catalog: the built-in tools, each connector's tools (`<connector>.<tool>`), and the
built-ins a connector serves as a provider (`providers: {payments: billing}`). The SDK of
a kind is imported only when a policy uses it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Protocol

import structlog

from tools.base import REGISTRY, ToolError, ToolSpec
from tools.connectors.config import (
    ConnectorConfig,
    ConnectorError,
    HttpConnector,
    McpConnector,
    Providers,
    StripeConnector,
)


class Service(Protocol):
    """One running connector."""

    name: str

    def specs(self) -> dict[str, ToolSpec]:
        """Its tools, by their full names."""
        ...

    async def check(self) -> str:
        """A cheap call that proves the system answers (one line: what was done); raises
        `ToolError` when it does not."""
        ...

    async def close(self) -> None: ...


log = structlog.get_logger(__name__)


@dataclass
class Connections:
    catalog: dict[str, ToolSpec] = field(default_factory=lambda: dict(REGISTRY))
    services: dict[str, Service] = field(default_factory=dict)
    unreachable: dict[str, str] = field(default_factory=dict)
    """Connectors that could not start (an MCP server down): why. Their tools are missing,
    so workflows take their `on_error` and the agent does without them."""


@dataclass(frozen=True)
class Check:
    name: str
    kind: str
    ok: bool
    detail: str
    ms: float
    tools: int

    def line(self) -> str:
        state = "ok" if self.ok else "FAILED"
        return (
            f"{self.name:<14} {self.kind:<7} {state:<7} {self.ms:>7.0f} ms  "
            f"{self.tools} tools  {self.detail}"
        )


async def _start(name: str, config: ConnectorConfig, base_dir: Path) -> Service:
    if isinstance(config, HttpConnector):
        from tools.connectors.http import HttpService
        from tools.connectors.openapi import openapi_tools

        tools = dict(config.tools)
        if config.openapi is not None:
            tools |= await openapi_tools(name, config, base_dir)
        return HttpService(name, config, tools)
    if isinstance(config, StripeConnector):
        from tools.connectors.stripe import StripeService

        return StripeService(name, config)
    if isinstance(config, McpConnector):
        from tools.connectors.mcp import McpService

        service = McpService(name, config, base_dir)
        await service.start()
        return service
    raise AssertionError(f"unknown connector kind {config}")


@asynccontextmanager
async def open_connectors(
    connectors: Mapping[str, ConnectorConfig], providers: Providers, base_dir: Path
) -> AsyncIterator[Connections]:
    """Every connector started (closed again on the way out), and the catalog they make."""
    connections = Connections()
    async with AsyncExitStack() as stack:
        for name, config in connectors.items():
            try:
                service = await _start(name, config, base_dir)
            except ToolError as exc:  # down, not misconfigured: serve without it
                log.warning("connector.unreachable", connector=name, error=str(exc))
                connections.unreachable[name] = str(exc)
                continue
            stack.push_async_callback(service.close)
            connections.services[name] = service
            connections.catalog.update(service.specs())
        if providers.payments != "demo":
            from tools.connectors.stripe import StripeService
            from tools.payments import payment_tools

            served = connections.services[providers.payments]
            assert isinstance(served, StripeService)  # checked when the policy loads
            connections.catalog.update(payment_tools(served.payments(), providers.payments))
        yield connections


async def check_connectors(
    connectors: Mapping[str, ConnectorConfig], base_dir: Path
) -> list[Check]:
    """Each connector started and asked for its health (or a cheap call), one by one."""
    checks = []
    for name, config in connectors.items():
        started = perf_counter()
        tools = 0
        try:
            service = await _start(name, config, base_dir)
            try:
                tools = len(service.specs())
                detail, ok = await service.check(), True
            finally:
                await service.close()
        except (ToolError, ConnectorError) as exc:
            detail, ok = str(exc), False
        ms = (perf_counter() - started) * 1000
        checks.append(Check(name, config.kind, ok, detail, ms, tools))
    return checks
