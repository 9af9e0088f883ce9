"""Running scenarios: each in a fresh database, through the real app and engine, one turn at
a time, every expectation checked against what the turn left behind."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import httpx
from fastapi import FastAPI
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import customers
from storage.models import Approval, Direction, Message
from switchboard.app import create_app
from switchboard.runtime import Runtime
from switchboard.scenarios.expectations import Observation, check, observe
from switchboard.scenarios.loader import LoadedScenario, ScenarioFormatError, check_names
from switchboard.scenarios.sandbox import Sandbox, SandboxError
from switchboard.scenarios.schema import Expect, Scenario
from switchboard.scenarios.visitors import (
    ChannelRejected,
    Seen,
    SeenReply,
    open_visitor,
    scenario_channels,
)
from switchboard.settings import Settings

Status = Literal["passed", "failed", "skipped"]
APPROVAL_REPLY_WAIT_S = 10.0


class StepError(Exception):
    """A step could not be carried out at all (nothing to approve, approval API missing)."""


@dataclass
class TurnReport:
    number: int
    label: str
    expected_intent: str | None = None
    expected_route: str | None = None
    """As the scenario wrote them, so the report can say what the bot confused."""
    intent: str | None = None
    confidence: float | None = None
    route: str | None = None
    entities: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    mode: str | None = None
    replies: list[str] = field(default_factory=list)
    rejected: str | None = None
    llm_calls: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    ms: float = 0.0
    failures: list[str] = field(default_factory=list)


@dataclass
class ScenarioReport:
    name: str
    source: str
    channel: str
    customer: str | None
    tags: list[str]
    status: Status = "passed"
    reason: str | None = None
    """Why it was skipped, or why it stopped before its last turn."""
    turns: list[TurnReport] = field(default_factory=list)
    ms: float = 0.0

    @property
    def llm_calls(self) -> int:
        return sum(t.llm_calls for t in self.turns)

    @property
    def tokens(self) -> int:
        return sum(t.tokens for t in self.turns)


@dataclass
class RunReport:
    scenarios: list[ScenarioReport]
    llm: bool
    ms: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for s in self.scenarios if s.status == status)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0

    @property
    def llm_calls(self) -> int:
        return sum(s.llm_calls for s in self.scenarios)

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.scenarios)


async def run_scenarios(
    loaded: Sequence[LoadedScenario],
    settings: Settings,
    *,
    llm: bool = False,
    database_url: str | None = None,
) -> RunReport:
    """Run every scenario; `ScenarioFormatError` when names or policy overrides are wrong
    (found before anything runs), `SandboxError` when the sandbox cannot be set up."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="switchboard-eval-") as workdir:
        sandbox = Sandbox(settings, Path(workdir), llm=llm, server_url=database_url)
        try:
            policy = await sandbox.prepare()
            check_names(loaded, intents=policy.intents, tools=policy.tool_risks())
            for item in loaded:
                if item.scenario.policy is not None:
                    try:
                        await sandbox.settings_for(item.scenario.policy, database=False)
                    except SandboxError as exc:
                        raise ScenarioFormatError(f"{item.where}: {exc}") from None
            reports = [await _run_one(item, sandbox) for item in loaded]
        finally:
            await sandbox.cleanup()
    return RunReport(reports, llm=llm, ms=round((time.perf_counter() - started) * 1000, 1))


async def _run_one(item: LoadedScenario, sandbox: Sandbox) -> ScenarioReport:
    scenario = item.scenario
    report = ScenarioReport(
        name=scenario.name,
        source=str(item.source),
        channel=scenario.channel,
        customer=scenario.customer,
        tags=list(scenario.tags),
    )
    if scenario.needs_llm and not sandbox.llm:
        report.status, report.reason = "skipped", "needs an LLM (run with --llm)"
        return report
    started = time.perf_counter()
    settings = await sandbox.settings_for(scenario.policy)
    try:
        app = create_app(settings, channels=scenario_channels(settings, scenario.channel))
        async with app.router.lifespan_context(app):
            await _converse(scenario, app, sandbox, report)
    finally:
        await sandbox.release(settings.database_url)
    report.ms = round((time.perf_counter() - started) * 1000, 1)
    if report.reason or any(t.failures for t in report.turns):
        report.status = "failed"
    return report


async def _converse(
    scenario: Scenario, app: FastAPI, sandbox: Sandbox, report: ScenarioReport
) -> None:
    runtime: Runtime = app.state.runtime
    if scenario.customer is not None:
        async with runtime.sessions() as session:
            found = await customers.get_customer_by_user_id(session, scenario.customer)
        if found is None:
            report.reason = f"customer {scenario.customer!r} is not in the database"
            return
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://eval.switchboard") as http:
        try:
            visitor = await open_visitor(
                scenario.channel,
                scenario.customer,
                app=app,
                http=http,
                secret=sandbox.identity_secret,
            )
        except ChannelRejected as exc:
            report.reason = f"could not start the conversation: {exc}"
            return
        for number, turn in enumerate(scenario.turns, start=1):
            turn_report = TurnReport(
                number=number,
                label=turn.label,
                expected_intent=turn.expect.intent,
                expected_route=turn.expect.route,
            )
            report.turns.append(turn_report)
            started = time.perf_counter()
            seen: Seen | None = None
            rejected: str | None = None
            try:
                if turn.say is not None:
                    seen = await visitor.say(turn.text)
                else:
                    seen = await _decide(
                        runtime, http, visitor.conversation_id, bool(turn.approve), sandbox
                    )
            except ChannelRejected as exc:
                rejected = str(exc)
            except (StepError, TimeoutError) as exc:
                turn_report.failures.append(f"{turn.label}: {exc or 'timed out'}")
                report.reason = f"stopped at turn {number}"
                return
            turn_report.ms = round((time.perf_counter() - started) * 1000, 1)
            observation = await observe(runtime.sessions, seen, rejected=rejected)
            _fill(turn_report, observation)
            turn_report.failures += _check_rejection(turn.expect, rejected)
            turn_report.failures += check(turn.expect, observation)


def _check_rejection(expect: Expect, rejected: str | None) -> list[str]:
    wanted = expect.rejected
    if rejected is None:
        return ["rejected: the channel accepted the message"] if wanted else []
    if not wanted:
        return [f"rejected by the channel: {rejected}"]
    if isinstance(wanted, str) and wanted.casefold() not in rejected.casefold():
        return [f"rejected: {wanted!r} not in the error; saw {rejected!r}"]
    return []


def _fill(turn: TurnReport, observation: Observation) -> None:
    trace = observation.trace
    turn.rejected = observation.rejected
    turn.mode = observation.mode
    turn.replies = [r.text for r in observation.seen.replies] if observation.seen else []
    if trace is not None:
        turn.intent, turn.confidence, turn.route = trace.intent, trace.confidence, trace.route
        turn.entities = observation.entities
        turn.tools = list(trace.tools)
        turn.llm_calls, turn.tokens, turn.cost_usd = trace.llm_calls, trace.tokens, trace.cost_usd


async def _decide(
    runtime: Runtime,
    http: httpx.AsyncClient,
    conversation_id: int | None,
    approve: bool,
    sandbox: Sandbox,
) -> Seen:
    """Staff decide the conversation's pending approval through the admin API; what the
    customer sees is whatever the bot sends afterwards."""
    if conversation_id is None:
        raise StepError("nothing to decide before the customer has said anything")
    async with runtime.sessions() as session:
        pending = (
            await session.exec(
                select(Approval)
                .where(Approval.conversation_id == conversation_id, Approval.status == "pending")
                .order_by(col(Approval.id).desc())
            )
        ).first()
        last = await _last_outbound_id(session, conversation_id)
    if pending is None:
        raise StepError("no pending approval in this conversation")
    response = await http.post(
        f"/api/admin/approvals/{pending.id}",
        json={"decision": "approve" if approve else "deny", "decided_by": "switchboard-eval"},
        headers={"Authorization": f"Bearer {sandbox.admin_token}"},
    )
    if response.status_code >= 400:
        raise StepError(f"POST /api/admin/approvals/{pending.id}: HTTP {response.status_code}")
    deadline = time.monotonic() + APPROVAL_REPLY_WAIT_S
    while True:
        async with runtime.sessions() as session:
            rows = (
                await session.exec(
                    select(Message)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.direction == Direction.outbound,
                        col(Message.id) > last,
                    )
                    .order_by(col(Message.id))
                )
            ).all()
        if rows or time.monotonic() > deadline:
            replies = [SeenReply(r.text, tuple(r.quick_replies)) for r in rows]
            return Seen(conversation_id=conversation_id, message_id=None, replies=replies)
        await asyncio.sleep(0.05)


async def _last_outbound_id(session: AsyncSession, conversation_id: int) -> int:
    rows = await session.exec(
        select(Message.id)
        .where(Message.conversation_id == conversation_id, Message.direction == Direction.outbound)
        .order_by(col(Message.id).desc())
    )
    return int(rows.first() or 0)
