"""Shadow mode (`SWITCHBOARD_SHADOW_POLICY`): a second policy decides each live turn
again, after the live turn is answered, and only its decision is kept.

It runs in the replay's sandbox (switchboard/replay/): a rolled-back transaction per
turn, connector writes only recorded and reads answered from the live turn's trace, no
model (it never spends tokens). Answered turns wait in a bounded queue; a full queue
drops the turn and counts it, so the live turn never waits for the shadow, and a shadow
turn starts only when no live turn is running (it gives way). Its state across a
conversation's turns lives in memory, for the most recent conversations only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.policy import Policy
from graph.runner import TurnOutcome, TurnRequest, TurnRunner
from storage.db import is_sqlite, sqlite_path, sqlite_write_turn, transaction
from storage.models import ShadowDecision, Trace
from switchboard import metrics
from switchboard.replay.compare import changes, original_view, replayed_view
from switchboard.replay.connectors import CallLog
from switchboard.replay.runner import sandboxed_runner
from switchboard.replay.sandbox import Sandbox
from switchboard.settings import Settings

log = structlog.get_logger(__name__)

#: Answered turns waiting for the shadow; beyond, they are dropped and counted.
QUEUE_SIZE = 100
#: Conversations whose shadow state is kept between their turns (least recent forgotten).
CONVERSATIONS = 1_000
#: What a shadow decision must share with the live turn to agree.
AGREEING = {"intent", "route"}


@dataclass(frozen=True)
class ShadowTurn:
    """A live turn's decision next to the shadow's."""

    decision: ShadowDecision
    outcome: TurnOutcome


class Shadow:
    """The shadow policy's runner, its queue and its one worker task."""

    def __init__(
        self,
        *,
        runner: TurnRunner,
        saver: InMemorySaver,
        sandbox: Sandbox,
        calls: CallLog,
        sessions: async_sessionmaker[AsyncSession],
        database_url: str,
        queue_size: int = QUEUE_SIZE,
        conversations: int = CONVERSATIONS,
    ) -> None:
        self.runner = runner
        self._saver = saver
        self._sandbox = sandbox
        self._calls = calls
        self._sessions = sessions
        self._sqlite = sqlite_path(database_url) if is_sqlite(database_url) else None
        self._queue: asyncio.Queue[TurnRequest] = asyncio.Queue(queue_size)
        self._recent: OrderedDict[int, None] = OrderedDict()
        self._conversations = conversations
        self._worker: asyncio.Task[None] | None = None
        self._live_idle: Callable[[], Awaitable[None]] | None = None
        self.dropped = 0

    @property
    def policy(self) -> Policy:
        return self.runner.policy

    def offer(self, request: TurnRequest) -> None:
        """Queue an answered turn; never waits (a full queue drops it)."""
        try:
            self._queue.put_nowait(request)
        except asyncio.QueueFull:
            self.dropped += 1
            metrics.SHADOW_DROPPED.inc()

    def give_way_to(self, live_idle: Callable[[], Awaitable[None]]) -> None:
        """Start a shadow turn only once `live_idle()` returns (no live turn running): on
        one event loop (and on SQLite, one writer) a shadow turn beside a live one would
        slow it. Under steady load the queue fills and turns are dropped instead."""
        self._live_idle = live_idle

    def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name="shadow")

    async def stop(self) -> None:
        """Stop the worker (what is queued stays queued; the turn it was deciding is
        given up)."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def drain(self) -> None:
        """Wait until every queued turn has its decision stored."""
        await self._queue.join()

    async def _work(self) -> None:
        while True:
            request = await self._queue.get()
            try:
                if self._live_idle is not None:
                    await self._live_idle()
                await self.decide(request)
            except Exception:
                metrics.SHADOW_FAILED.inc()
                log.exception("shadow.failed", message_id=request.message_id)
            finally:
                self._queue.task_done()

    async def decide(self, request: TurnRequest) -> ShadowTurn | None:
        """Run one answered turn through the shadow policy and store its decision (none
        when the live turn left no trace)."""
        async with self._sessions() as session:
            live = (
                await session.exec(select(Trace).where(Trace.message_id == request.message_id))
            ).first()
        if live is None:
            return None
        await self._remember(request.conversation_id)
        self._calls.start_turn(list(live.tool_calls))
        async with self._write_turn(), self._sandbox.conversation():
            outcome = await self.runner.run_turn(request)
        shadow = replayed_view(outcome, self._calls.served)
        differ = set(changes(original_view(live, []), shadow))
        decision = ShadowDecision(
            conversation_id=request.conversation_id,
            message_id=request.message_id,
            policy_version=outcome.policy_version,
            intent=shadow.intent,
            route=shadow.route,
            node_path=shadow.path,
            tools=shadow.tools,
            agrees=not differ & AGREEING,
        )
        async with transaction(self._sessions) as session:
            session.add(decision)
        return ShadowTurn(decision, outcome)

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """On SQLite, the sandbox's transaction writes (rolled back) over many sessions:
        it holds this process's writer turn throughout, so live writers queue behind it
        in order rather than meet a locked file (PostgreSQL needs nothing)."""
        if self._sqlite is None:
            yield
            return
        async with sqlite_write_turn(self._sqlite):
            yield

    async def _remember(self, conversation_id: int) -> None:
        """Keep this conversation's shadow state; forget the least recent beyond the
        bound."""
        self._recent[conversation_id] = None
        self._recent.move_to_end(conversation_id)
        while len(self._recent) > self._conversations:
            forgotten, _ = self._recent.popitem(last=False)
            await self._saver.adelete_thread(str(forgotten))


@asynccontextmanager
async def open_shadow(
    settings: Settings,
    db: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    policy: Policy,
) -> AsyncIterator[Shadow]:
    """The shadow runner for `policy`, its worker running until the block ends. Its own
    classifier, acts model and connectors (every call stood in for), loaded as the live
    ones are; no model even when the live policy has one."""
    async with sandboxed_runner(settings, db, sessions, policy) as sandboxed_turns:
        runner, saver = sandboxed_turns.runner, sandboxed_turns.saver
        sandbox, calls = sandboxed_turns.sandbox, sandboxed_turns.calls
        shadow = Shadow(
            runner=runner,
            saver=saver,
            sandbox=sandbox,
            calls=calls,
            sessions=sessions,
            database_url=settings.database_url,
        )
        shadow.start()
        try:
            yield shadow
        finally:
            await shadow.stop()
