"""Running turns: one at a time per conversation, in order, each in one transaction.

Every stored message kicks a drain of its conversation; the drain holds the
conversation's lock (across replicas on PostgreSQL), runs the oldest waiting message,
commits its replies, inbound status, trace, checkpoint and tools' writes together, then
delivers. A sweeper picks up messages whose drain was lost with a process. In human mode
the bot stays quiet and every customer message is relayed to staff."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import TurnResult
from bots.fitting import NUMBER_ANSWER, numbered_answer
from graph.i18n import N_, said_in
from graph.runner import TurnOutcome, TurnRequest, TurnRunner, customer_fields
from graph.state import Reply as GraphReply
from storage import conversations, messages, tickets, traces
from storage.db import transaction
from storage.messages import CheckpointRow
from storage.models import (
    Conversation,
    Customer,
    InboundStatus,
    Message,
    Mode,
    StaffNotification,
)
from storage.reads import reading
from storage.turn_transaction import TurnTransaction, turn_transaction
from switchboard import metrics
from switchboard.engine.background import Background
from switchboard.engine.cluster import ConversationLocks
from switchboard.engine.delivery import Outbox
from switchboard.engine.replies import queue_replies, reply_of
from switchboard.engine.waiting import Waiters
from switchboard.telemetry import TurnSpans, now_ns

log = structlog.get_logger(__name__)

FALLBACK_REPLY = N_(
    "Sorry, something went wrong on our side. I've let our team know, and a person will "
    "follow up here."
)


def turn_request(
    inbound: Message,
    conversation: Conversation,
    customer: Customer | None,
    text: str | None = None,
) -> TurnRequest:
    return TurnRequest(
        conversation_id=conversation.id,  # type: ignore[arg-type]
        message_id=inbound.id,  # type: ignore[arg-type]
        channel=conversation.channel,
        text=inbound.text if text is None else text,
        **customer_fields(customer),
        language=conversation.language,
        locale=inbound.locale,
    )


class Turns:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        runner: TurnRunner,
        locks: ConversationLocks,
        outbox: Outbox,
        waiters: Waiters,
        background: Background,
        start_waiting: Callable[[int], Awaitable[None]],
        changed: Callable[[int], Awaitable[None]],
        spans: TurnSpans | None = None,
        sweep_every_s: float = 2.0,
    ) -> None:
        self._sessions = sessions
        self._runner = runner
        self._locks = locks
        self._outbox = outbox
        self._waiters = waiters
        self._background = background
        self._start_waiting = start_waiting
        self._changed = changed
        self._spans = spans
        self._sweep_every_s = sweep_every_s
        self._sweeper: asyncio.Task[None] | None = None
        self._drains: dict[int, int] = {}
        """Drains running or queued on the lock, per conversation: the sweeper leaves
        those conversations alone (their drain will find the message)."""
        self._answered: list[Callable[[TurnRequest], None]] = []
        self._idle = asyncio.Event()
        self._idle.set()

    def on_turn_answered(self, listener: Callable[[TurnRequest], None]) -> None:
        """Call `listener(request)` after each bot turn is committed and its requester
        woken (the shadow policy's queue): it must return at once, never wait."""
        self._answered.append(listener)

    async def idle(self) -> None:
        """Return once no turn of this process runs or waits for its conversation."""
        await self._idle.wait()

    # --- drains ----------------------------------------------------------------------

    def kick(self, conversation_id: int, *, until_empty: bool = False) -> None:
        """Run the conversation's waiting messages (in the background, in order)."""
        self._drains[conversation_id] = self._drains.get(conversation_id, 0) + 1
        self._idle.clear()
        self._background.spawn(self._counted_drain(conversation_id, until_empty=until_empty))

    def start_sweeping(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep())

    def stop_sweeping(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()

    async def _sweep(self) -> None:
        """Pick up turns nobody is working on: a replica died between insert and turn, or a
        kick was lost. The conversation lock makes a redundant kick harmless."""
        while True:
            await asyncio.sleep(self._sweep_every_s)
            try:
                async with reading(self._sessions) as session:
                    stale = await messages.conversations_with_unprocessed_inbound(
                        session, older_than_s=self._sweep_every_s
                    )
            except Exception:
                log.exception("engine.sweep_failed")
                continue
            for conversation_id in stale:
                # A drain here already will reach the message; more would only queue on
                # the lock behind a slow turn and pile up, one per sweep.
                if conversation_id not in self._drains:
                    self.kick(conversation_id, until_empty=True)

    async def _counted_drain(self, conversation_id: int, *, until_empty: bool) -> None:
        try:
            await self._drain(conversation_id, until_empty=until_empty)
        finally:
            left = self._drains.get(conversation_id, 1) - 1
            if left > 0:
                self._drains[conversation_id] = left
            else:
                self._drains.pop(conversation_id, None)
                if not self._drains:
                    self._idle.set()

    async def _drain(self, conversation_id: int, *, until_empty: bool = False) -> None:
        """Run this conversation's oldest waiting message, in order, one at a time.

        Every stored message kicks one drain, so a drain that ran one turn stops: the
        next message has its own drain waiting for the lock (a second query to find
        nothing cost a select per turn). Resuming and the sweeper drain `until_empty`,
        for messages whose drain was lost with a process."""
        async with self._locks.hold(conversation_id):
            while True:
                async with reading(self._sessions) as session:
                    turn = await messages.next_turn(session, conversation_id)
                if turn is None:
                    self._waiters.wake_conversation(conversation_id)
                    return
                with structlog.contextvars.bound_contextvars(
                    conversation_id=conversation_id, message_id=turn.message.id
                ):
                    await self.process(
                        turn.message,
                        turn.conversation,
                        turn.customer,
                        checkpoint=(str(conversation_id), "", turn.checkpoint),
                    )
                if not until_empty:
                    return

    # --- one turn --------------------------------------------------------------------

    async def process(
        self,
        inbound: Message,
        conversation: Conversation,
        customer: Customer | None,
        *,
        checkpoint: tuple[str, str, CheckpointRow | None] | None = None,
    ) -> None:
        """One stored message: its turn (or, in human mode, its relay to staff),
        committed, delivered, its requester woken and the listeners told. `checkpoint`:
        (thread, namespace, row) read with the message under the conversation's lock,
        which the turn's checkpointer then need not read again."""
        assert inbound.id is not None
        result = TurnResult(inbound.id, inbound.conversation_id, str(Mode.human), ())
        if conversation.mode == Mode.human:
            await self._relay_to_staff(inbound)
        else:
            async with turn_transaction(self._sessions) as turn:
                if checkpoint is not None:
                    turn.read_ahead(*checkpoint)
                outcome = await self._run(inbound, conversation, customer, turn)
                outbox, mode = await self._commit(turn, inbound, outcome)
            for row in outbox:
                await self._outbox.deliver(row, conversation)
            for approval_id in outcome.approvals:
                await self._start_waiting(approval_id)
            replies = tuple(reply_of(row) for row in outbox)
            result = TurnResult(
                inbound.id, inbound.conversation_id, mode, replies, route=outcome.route
            )
            # One line a turn for operators; ids and figures only, never what was said.
            log.info(
                "turn",
                conversation_id=inbound.conversation_id,
                message_id=inbound.id,
                channel=conversation.channel,
                route=outcome.route,
                intent=outcome.intent,
                ms=round(outcome.total_ms, 1),
                llm_calls=len(outcome.llm_calls),
                replies=len(outbox),
                mode=mode,
            )
        # The reply first; live pushes to other sockets after it.
        self._waiters.answer(inbound.id, result)
        if conversation.mode != Mode.human:
            for listener in self._answered:
                listener(turn_request(inbound, conversation, customer))
        await self._changed(inbound.conversation_id)

    async def _run(
        self,
        inbound: Message,
        conversation: Conversation,
        customer: Customer | None,
        turn: TurnTransaction,
    ) -> TurnOutcome:
        text = await self._answered_choice(inbound, conversation)
        request = turn_request(inbound, conversation, customer, text)
        try:
            with metrics.TURN_SECONDS.time():
                outcome = await self._runner.run_turn(request, turn=turn)
        except Exception as exc:  # never leave the customer in silence
            log.exception("turn.failed", message_id=inbound.id, error=type(exc).__name__)
            metrics.TURN_ERRORS.inc()
            await turn.rollback()  # none of the failed turn's writes; the apology alone
            outcome = TurnOutcome(
                replies=[
                    GraphReply(
                        text=said_in(
                            FALLBACK_REPLY, conversation.language, self._runner.policy.language
                        ),
                        quick_replies=[],
                    )
                ],
                route="error",
                node_path=["error"],
                language=conversation.language,
            )
        if self._spans is not None:
            self._spans.record(
                conversation_id=inbound.conversation_id,
                message_id=inbound.id,  # type: ignore[arg-type]
                outcome=outcome,
                ended_ns=now_ns(),
            )
        metrics.record_turn(
            outcome.route or "none", outcome.intent, outcome.node_ms, outcome.llm_calls
        )
        if "handoff.request" in outcome.tools:
            metrics.HANDOFFS.labels(outcome.route or "none").inc()
        return outcome

    async def _answered_choice(self, inbound: Message, conversation: Conversation) -> str:
        """What the customer said, a bare number read as the choice it picks where the
        channel showed the bot's last choices as numbered text (a button's label)."""
        capabilities = self._outbox.capabilities(conversation.channel)
        if capabilities is None or not NUMBER_ANSWER.fullmatch(inbound.text):
            return inbound.text
        async with reading(self._sessions) as session:
            offered = await messages.last_offered(
                session,
                inbound.conversation_id,
                inbound.id,  # type: ignore[arg-type]
            )
        return numbered_answer(capabilities, offered, inbound.text) or inbound.text

    async def _commit(
        self, turn: TurnTransaction, inbound: Message, outcome: TurnOutcome
    ) -> tuple[list[Message], str]:
        """Replies, the inbound status and the trace, in the turn's transaction with its
        tools' writes and its checkpoint: all or nothing. Returns the queued replies and
        the conversation's mode after the turn."""
        assert inbound.id is not None
        session = await turn.session()
        outbox = await queue_replies(
            self._outbox,
            session,
            inbound.conversation_id,
            inbound.channel,
            outcome,
            reply_to=inbound.id,
        )
        await messages.mark_inbound(
            session,
            inbound.id,
            InboundStatus.failed if outcome.route == "error" else InboundStatus.processed,
            language=outcome.language,
        )
        if outcome.route == "error":
            await tickets.record_notification(
                session,
                StaffNotification(
                    kind="error",
                    conversation_id=inbound.conversation_id,
                    text=f"A turn failed on message {inbound.id}; the customer was told "
                    "a person will follow up.",
                    idempotency_key=f"msg:{inbound.id}:error",
                ),
            )
        await traces.add_trace(session, outcome.trace(inbound.conversation_id, inbound.id))
        mode = await conversations.record_turn(
            session, inbound.conversation_id, intent=outcome.intent, language=outcome.language
        )
        return outbox, mode

    async def _relay_to_staff(self, inbound: Message) -> None:
        """Human mode: the bot stays quiet and every customer message reaches staff."""
        assert inbound.id is not None
        async with transaction(self._sessions) as session:
            await tickets.record_notification(
                session,
                StaffNotification(
                    kind="customer_message",
                    conversation_id=inbound.conversation_id,
                    text=inbound.text,
                    idempotency_key=f"msg:{inbound.id}:relay",
                ),
            )
            await messages.mark_inbound(session, inbound.id, InboundStatus.processed)
