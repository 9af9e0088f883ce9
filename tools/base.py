"""The tool seam: a registry of documented functions with a risk level, and the `ToolBox`
that calls them for one verified customer and records what was called.

The customer comes from the engine (`Caller`), never from a tool argument, so neither a
workflow bug nor a model can act on someone else's account.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Literal

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import will_write
from storage.reads import reading
from storage.turn_transaction import TurnTransaction

Risk = Literal["read", "write", "sensitive"]


class ToolError(Exception):
    """A tool could not do what was asked; the message is safe to show staff."""

    status = "error"
    """How the call ended, as traces record it."""


class NotVerified(ToolError):
    """The tool needs a verified customer and this conversation has none."""

    status = "not_verified"


class NeedsApproval(ToolError):
    """A sensitive tool was called directly; it must go through an approval first."""


@dataclass(frozen=True)
class Caller:
    """Who a tool acts for: set by the engine from the verified identity."""

    conversation_id: int
    message_id: int
    channel: str
    customer_id: int | None = None
    language: str | None = None
    """The conversation's language (tools answering in words prefer it)."""
    default_language: str | None = None
    """The policy's default language: what untagged content is taken to be written in."""
    scope: str = ""
    """Set for a turn that answers no new message (a workflow resumed by an approval
    decision, `approval:7`): its effects are its own, not the original message's."""

    def idempotency_key(self, purpose: str) -> str:
        # One effect per purpose per inbound message, however often the turn is re-run.
        scope = f":{self.scope}" if self.scope else ""
        return f"msg:{self.message_id}{scope}:{purpose}"


@dataclass(frozen=True, eq=False)  # compared by identity: caches key on the spec itself
class ToolSpec:
    """One tool: a built-in function, or one a connector builds from the policy file.

    `func(session, caller, **arguments)` is called for the verified customer. Built-ins
    describe their arguments by their signature; a connector's tool by `parameters`, a
    JSON Schema (never naming the customer: the connector binds it from `caller`)."""

    name: str
    risk: Risk
    public: bool
    func: Callable[..., Awaitable[Any]]
    about: str = ""
    """What staff and the model read; the function's docstring when empty."""
    parameters: dict[str, Any] | None = None
    connector: str | None = None
    """The connector that serves it (traces and metrics name it); None for a built-in."""

    @property
    def description(self) -> str:
        return self.about or (self.func.__doc__ or "").strip()


Catalog = Mapping[str, ToolSpec]
"""The tools one deployment offers: the built-ins and its connectors' tools, by name."""

APPROVAL_TOOL = "approvals.request"
REGISTRY: dict[str, ToolSpec] = {}
"""The built-in tools (registered by `@tool` when tools.catalog is imported)."""
BRIEF_CHARS = 300


def _brief(value: Any) -> str:
    """A short, printable account of a value for traces (never the whole payload)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif isinstance(value, list | tuple):
        value = [
            dataclasses.asdict(v) if dataclasses.is_dataclass(v) and not isinstance(v, type) else v
            for v in value
        ]
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= BRIEF_CHARS else text[: BRIEF_CHARS - 1] + "…"


def tool(name: str, *, risk: Risk, public: bool = False) -> Callable[[Any], Any]:
    """Register a tool. The docstring is what staff and the model read about it."""

    def register(func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        REGISTRY[name] = ToolSpec(name=name, risk=risk, public=public, func=func)
        return func

    return register


@dataclass
class ToolBox:
    """Calls tools for one turn of one conversation and records each call."""

    sessions: async_sessionmaker[AsyncSession]
    caller: Caller
    catalog: Catalog = field(default_factory=lambda: REGISTRY)
    calls: list[str] = field(default_factory=list)
    log: list[dict[str, Any]] = field(default_factory=list)
    """Each call with its arguments, a short result and its time, for the turn's trace."""
    turn: TurnTransaction | None = None
    """The turn's transaction: a tool that writes does so in it (each call in a savepoint,
    undone alone if the tool fails), so its effects commit with the turn's replies."""

    async def call(self, name: str, **arguments: Any) -> Any:
        """Call a read or write tool. Sensitive tools refuse: they need `call_approved`."""
        spec = self._spec(name)
        if spec.risk == "sensitive":
            raise NeedsApproval(f"{name} needs a person's approval")
        if name == APPROVAL_TOOL:
            raise ToolError(f"{APPROVAL_TOOL} is called through request_approval")
        return await self._run(spec, arguments)

    async def call_approved(self, name: str, **arguments: Any) -> Any:
        """Call a tool after a permitted person approved exactly this call."""
        return await self._run(self._spec(name), arguments)

    async def request_approval(self, name: str, arguments: dict[str, Any], summary: str) -> int:
        """Ask a person to approve a call of sensitive tool `name`; the approval's id."""
        if self._spec(name).risk != "sensitive":
            raise ToolError(f"{name} is not a sensitive tool")
        request = {"tool_name": name, "arguments": arguments, "summary": summary}
        approval_id: int = await self._run(self._spec(APPROVAL_TOOL), request)
        return approval_id

    def spec(self, name: str) -> ToolSpec | None:
        return self.catalog.get(name)

    def _spec(self, name: str) -> ToolSpec:
        spec = self.catalog.get(name)
        if spec is None:
            raise ToolError(f"unknown tool {name}")
        if not spec.public and self.caller.customer_id is None:
            raise NotVerified(f"{name} needs a verified customer")
        return spec

    async def _run(self, spec: ToolSpec, arguments: dict[str, Any]) -> Any:
        self.calls.append(spec.name)
        started = perf_counter()
        entry: dict[str, Any] = {"tool": spec.name, "arguments": _brief(arguments)}
        if spec.connector:
            entry["connector"] = spec.connector
        self.log.append(entry)
        try:
            if spec.connector is not None:
                # A connector's effects are in the company's system; our database is only
                # read for the customer's ids, and that read ends before the request
                # (connectors/binding.py), so no connection is held while it answers.
                async with reading(self.sessions) as session:
                    result = await spec.func(session, self.caller, **arguments)
            else:
                result = await self._call_here(spec, arguments)
        except Exception as exc:
            entry["status"] = exc.status if isinstance(exc, ToolError) else "error"
            entry["error"] = f"{type(exc).__name__}: {exc}"[:200]
            raise
        finally:
            entry["ms"] = round((perf_counter() - started) * 1000, 2)
        entry["status"] = "ok"
        entry["result"] = _brief(result)
        return result

    async def _call_here(self, spec: ToolSpec, arguments: dict[str, Any]) -> Any:
        """Run a tool on our own database: a write in the turn's transaction; a read in
        it once the turn has written (so it sees those writes), else in a session of its
        own (reading takes no writer's turn)."""
        if self.turn is not None and (spec.risk != "read" or self.turn.begun is not None):
            async with self.turn.savepoint() as session:
                return await spec.func(session, self.caller, **arguments)
        if spec.risk == "read":
            async with reading(self.sessions) as session:
                return await spec.func(session, self.caller, **arguments)
        async with self.sessions() as session, session.begin():
            await will_write(session)
            return await spec.func(session, self.caller, **arguments)

    @property
    def verified(self) -> bool:
        return self.caller.customer_id is not None
