"""The engine: the inbox, the turns, the approvals and the staff's actions of one process,
started and stopped together.

Every inbound message is inserted before anything else happens (a unique key makes
webhook retries no-ops). Turns of one conversation run strictly in order; a turn's
replies, the inbound row's status, its trace, its checkpoint and its tools' writes are
committed in one transaction, then delivered. On start, unprocessed inbound and
undelivered outbound rows are resumed. Each part is its own module with its own tests:
`inbox`, `waiting`, `turns`, `approvals`, `staff_actions`; this class only wires them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import ChannelAdapter, InboundMessage, TurnResult
from graph.runner import TurnRequest, TurnRunner
from storage import messages
from storage.models import Role
from switchboard.engine.approvals import ApprovalDecision, Approvals
from switchboard.engine.background import Background
from switchboard.engine.cluster import ConversationLocks
from switchboard.engine.delivery import DeliveryPolicy, Outbox
from switchboard.engine.inbox import Inbox
from switchboard.engine.staff_actions import StaffActions
from switchboard.engine.turns import FALLBACK_REPLY, Turns
from switchboard.engine.waiting import Waiters
from switchboard.guards import RateLimiter
from switchboard.telemetry import TurnSpans

__all__ = ["FALLBACK_REPLY", "ApprovalDecision", "DeliveryPolicy", "Engine"]

log = structlog.get_logger(__name__)


class Engine:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        runner: TurnRunner,
        adapters: Mapping[str, ChannelAdapter],
        delivery: DeliveryPolicy | None = None,
        locks: ConversationLocks | None = None,
        sweep_every_s: float = 2.0,
        spans: TurnSpans | None = None,
        sender_limits: RateLimiter | None = None,
    ) -> None:
        self._sessions = sessions
        self._runner = runner
        self.adapters = dict(adapters)
        locks = locks or ConversationLocks()
        self._listeners: list[Callable[[int], Awaitable[None]]] = []
        self.outbox = Outbox(sessions, self.adapters, delivery or DeliveryPolicy())
        self.background = Background()
        self.waiters = Waiters(sessions)
        self.approvals = Approvals(
            sessions=sessions,
            runner=runner,
            locks=locks,
            outbox=self.outbox,
            changed=self.conversation_changed,
        )
        self.turns = Turns(
            sessions=sessions,
            runner=runner,
            locks=locks,
            outbox=self.outbox,
            waiters=self.waiters,
            background=self.background,
            start_waiting=self.approvals.start_waiting,
            changed=self.conversation_changed,
            spans=spans,
            sweep_every_s=sweep_every_s,
        )
        self.inbox = Inbox(
            sessions=sessions,
            policy=runner.policy,
            outbox=self.outbox,
            waiters=self.waiters,
            background=self.background,
            kick=self.turns.kick,
            sender_limits=sender_limits,
        )
        self.staff = StaffActions(sessions=sessions, locks=locks, outbox=self.outbox)

    @property
    def runner(self) -> TurnRunner:
        return self._runner

    # --- listeners ---------------------------------------------------------------------

    def on_conversation_changed(self, listener: Callable[[int], Awaitable[None]]) -> None:
        """Call `listener(conversation_id)` after every committed turn or relayed message,
        e.g. so the staff desk can post new staff notifications."""
        self._listeners.append(listener)

    def on_turn_answered(self, listener: Callable[[TurnRequest], None]) -> None:
        """See `Turns.on_turn_answered` (the shadow policy's queue)."""
        self.turns.on_turn_answered(listener)

    async def idle(self) -> None:
        """Return once no turn of this process runs or waits for its conversation
        (background work such as the shadow policy gives way to turns)."""
        await self.turns.idle()

    async def conversation_changed(self, conversation_id: int) -> None:
        """Tell the listeners (open widgets on every replica, the staff desk) that a
        conversation changed: a turn or an approval ran, or staff handed it back."""
        for listener in self._listeners:
            try:
                await listener(conversation_id)
            except Exception:
                log.exception("engine.listener_failed", conversation_id=conversation_id)

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Resume what a previous process left: unprocessed turns, undelivered replies,
        approvals decided but not carried out."""
        self.inbox.accepting = True
        async with self._sessions() as session:
            pending = await messages.conversations_with_unprocessed_inbound(session)
            undelivered = await messages.undelivered_outbound(session)
        deciding = await self.approvals.deciding()
        for message in undelivered:
            self.background.spawn(self.outbox.deliver_stored(message.id))  # type: ignore[arg-type]
        for conversation_id in pending:
            self.turns.kick(conversation_id, until_empty=True)
        for approval_id in deciding:
            self.background.spawn(self.approvals.carry_out(approval_id))
        if pending or undelivered:
            log.info("engine.resumed", turns=len(pending), replies=len(undelivered))
        self.turns.start_sweeping()

    async def stop(self, timeout: float = 20.0) -> None:
        """Stop accepting, let in-flight turns finish for `timeout`, then cancel the rest."""
        self.inbox.accepting = False
        self.turns.stop_sweeping()
        await self.background.stop(timeout)

    async def settle(self, timeout: float = 20.0) -> set[object]:
        """Wait for what this process has started (turns, deliveries) to finish; returns
        what still runs after `timeout`. A reply reaches its request before its turn has
        let go of the conversation: this is the way to know everything after it is done."""
        return set(await self.background.settle(timeout))

    # --- what the channels and the staff desk call -------------------------------------

    async def submit(self, message: InboundMessage) -> TurnResult:
        return await self.inbox.submit(message)

    async def handle(self, message: InboundMessage, *, timeout: float = 30.0) -> TurnResult:
        """Submit and wait up to `timeout` for the turn's replies (a retried message gets
        the first one's). A turn still running then gives a result with `pending` set and
        no replies; it goes on, and its replies are delivered when it ends."""
        submitted = await self.inbox.submit(message)
        if submitted.route == "throttled":
            return submitted  # never runs
        return await self.waiters.wait_for_turn(submitted, timeout=timeout)

    async def wait_for_turn(self, submitted: TurnResult, *, timeout: float) -> TurnResult:
        return await self.waiters.wait_for_turn(submitted, timeout=timeout)

    async def decide_approval(
        self, approval_id: int, *, approved: bool, decided_by: str
    ) -> ApprovalDecision:
        return await self.approvals.decide(approval_id, approved=approved, decided_by=decided_by)

    async def send_staff_reply(
        self,
        conversation_id: int,
        text: str,
        *,
        quick_replies: list[str] | None = None,
        role: Role = Role.staff,
        author: str | None = None,
    ) -> int:
        return await self.staff.send_staff_reply(
            conversation_id, text, quick_replies=quick_replies, role=role, author=author
        )

    async def retry_delivery(self, outbox_id: int) -> str:
        return await self.staff.retry_delivery(outbox_id)
