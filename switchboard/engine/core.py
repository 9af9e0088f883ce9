"""The engine: durable inbox, one turn at a time per conversation, outbox delivery.

Every inbound message is inserted before anything else happens (a unique key makes
webhook retries no-ops). Turns of one conversation run strictly in order; replies, the
inbound row's status and the turn's trace are committed in one transaction, then
delivered. On start, unprocessed inbound and undelivered outbound rows are resumed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import (
    ChannelAdapter,
    InboundMessage,
    Reply,
    TurnResult,
)
from graph.i18n import N_, said_in
from graph.pii import mask_for_transcript
from graph.runner import ApprovalRequest, TurnOutcome, TurnRequest, TurnRunner
from graph.state import Reply as GraphReply
from storage import approvals, conversations, customers, messages, tickets, traces
from storage.db import transaction
from storage.models import (
    Approval,
    Conversation,
    Customer,
    Direction,
    InboundStatus,
    Message,
    Mode,
    Role,
    StaffNotification,
)
from storage.turn_transaction import TurnTransaction, turn_transaction
from switchboard import metrics
from switchboard.engine.cluster import ConversationLocks
from switchboard.engine.delivery import DeliveryPolicy, Outbox
from switchboard.guards import RateLimiter
from switchboard.telemetry import TurnSpans, now_ns

log = structlog.get_logger(__name__)

FALLBACK_REPLY = N_(
    "Sorry, something went wrong on our side. I've let our team know, and a person will "
    "follow up here."
)


def _reply(row: Message) -> Reply:
    return Reply(row.id, row.text, tuple(row.quick_replies), str(row.role))  # type: ignore[arg-type]


@dataclass
class _Waiter:
    """A request waiting for its turn: woken with the turn's result when this process ran
    it, or without (then the result is read from the database)."""

    conversation_id: int | None
    event: asyncio.Event
    result: TurnResult | None = None
    users: int = 0


def storable_text(text: str) -> str:
    """What any database can hold: no NUL, lone surrogates replaced (U+FFFD), so odd
    input from a platform never fails the insert and is never lost."""
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


SLOW_DOWN_REPLY = N_(
    "You're sending messages faster than I can read them, so I've skipped the last few. "
    "Please wait a moment, then send your question again in one message."
)
SLOW_DOWN_EVERY_S = 60.0
#: First database poll of a request waiting for a turn this process runs (`handle`).
LOCAL_TURN_POLL_S = 5.0


@dataclass(frozen=True)
class ApprovalDecision:
    approval_id: int
    applied: bool
    """False when the approval had been decided already (a second click, a second person)."""
    status: str
    decided_by: str | None


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
        self._spans = spans
        self._sender_limits = sender_limits
        # A throttled sender is told to slow down at most once a minute.
        self._slow_down_notices = RateLimiter(1 / SLOW_DOWN_EVERY_S, 1)
        self._sessions = sessions
        self._runner = runner
        self._pii = runner.policy.pii
        self.adapters = dict(adapters)
        self._outbox = Outbox(sessions, self.adapters, delivery or DeliveryPolicy())
        self._locks = locks or ConversationLocks()
        self._sweep_every_s = sweep_every_s
        self._sweeper: asyncio.Task[None] | None = None
        self._waiters: dict[int, _Waiter] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._drains: dict[int, int] = {}
        """Drains running or queued on the lock, per conversation: the sweeper leaves
        those conversations alone (their drain will find the message)."""
        self._accepting = False
        self._listeners: list[Callable[[int], Awaitable[None]]] = []
        self._answered: list[Callable[[TurnRequest], None]] = []
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def runner(self) -> TurnRunner:
        return self._runner

    def on_conversation_changed(self, listener: Callable[[int], Awaitable[None]]) -> None:
        """Call `listener(conversation_id)` after every committed turn or relayed message,
        e.g. so the staff desk can post new staff notifications."""
        self._listeners.append(listener)

    async def idle(self) -> None:
        """Return once no turn of this process runs or waits for its conversation
        (background work such as the shadow policy gives way to turns)."""
        await self._idle.wait()

    def on_turn_answered(self, listener: Callable[[TurnRequest], None]) -> None:
        """Call `listener(request)` after each bot turn is committed and its requester
        woken (the shadow policy's queue): it must return at once, never wait."""
        self._answered.append(listener)

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
        """Resume what a previous process left: unprocessed turns, undelivered replies."""
        self._accepting = True
        async with self._sessions() as session:
            pending = await messages.conversations_with_unprocessed_inbound(session)
            undelivered = await messages.undelivered_outbound(session)
            deciding = await approvals.approvals_with_status(session, *approvals.DECIDING)
        for message in undelivered:
            self._spawn(self._outbox.deliver_stored(message.id))  # type: ignore[arg-type]
        for conversation_id in pending:
            self._kick(conversation_id, until_empty=True)
        for approval in deciding:  # decided before a crash, not yet carried out
            self._spawn(self._carry_out(approval.id))  # type: ignore[arg-type]
        if pending or undelivered:
            log.info("engine.resumed", turns=len(pending), replies=len(undelivered))
        self._sweeper = asyncio.create_task(self._sweep())

    async def _sweep(self) -> None:
        """Pick up turns nobody is working on: a replica died between insert and turn, or a
        kick was lost. The conversation lock makes a redundant kick harmless."""
        while self._accepting:
            await asyncio.sleep(self._sweep_every_s)
            try:
                async with self._sessions() as session:
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
                    self._kick(conversation_id, until_empty=True)

    async def stop(self, timeout: float = 20.0) -> None:
        """Stop accepting, let in-flight turns finish for `timeout`, then cancel the rest
        (a cancelled turn commits nothing and is resumed on the next start) and wait for
        the cancellation to close what they held (a model call's connection)."""
        self._accepting = False
        if self._sweeper is not None:
            self._sweeper.cancel()
        still_running = await self.settle(timeout)
        for task in still_running:
            task.cancel()
        if still_running:
            await asyncio.wait(still_running, timeout=5.0)

    async def settle(self, timeout: float = 20.0) -> set[asyncio.Task[None]]:
        """Wait for what this process has started (turns, deliveries) to finish; returns
        what still runs after `timeout`. A reply reaches its request before its turn has
        let go of the conversation: this is the way to know everything after it is done."""
        if not self._tasks:
            return set()
        _, still_running = await asyncio.wait(list(self._tasks), timeout=timeout)
        return still_running

    # --- ingest ----------------------------------------------------------------------

    async def submit(self, message: InboundMessage) -> TurnResult:
        if not self._accepting:
            raise RuntimeError("engine is not accepting messages")
        # Personal data is masked before the row exists (policy `pii.store`), so no
        # transcript, relay or turn ever holds a card number the workflows never need.
        message = replace(message, text=mask_for_transcript(message.text, self._pii))
        async with transaction(self._sessions) as session:
            conversation = await conversations.open_conversation(
                session,
                channel=message.channel,
                channel_chat_id=message.channel_chat_id,
                customer_id=await self._customer_id(session, message),
            )
            row, created = await messages.insert_inbound(
                session,
                Message(
                    conversation_id=conversation.id,  # type: ignore[arg-type]
                    direction=Direction.inbound,
                    role=Role.customer,
                    channel=message.channel,
                    channel_message_id=message.channel_message_id,
                    text=storable_text(message.text),
                    attachments=[storable_text(a)[:200] for a in message.attachments][:10],
                    status=InboundStatus.received,
                    created_at=message.received_at,
                    locale=(message.locale or "")[:16] or None,
                ),
            )
            message_id, conversation_id = row.id, row.conversation_id
            mode = str(conversation.mode)
            notice = None
            sender = f"{message.channel}:{message.channel_user_id}"
            throttled = created and self._over_limit(sender)
            if throttled:
                row.status = InboundStatus.throttled
                session.add(row)
                if not self._slow_down_notices.retry_after(sender):
                    notice = await self._outbox.queue(
                        session,
                        conversation_id=conversation_id,
                        channel=message.channel,
                        text=said_in(
                            SLOW_DOWN_REPLY, conversation.language, self._runner.policy.language
                        ),
                        reply_to_id=message_id,
                    )
        assert message_id is not None
        if throttled:
            metrics.THROTTLED.labels(message.channel).inc()
            if notice is not None:
                self._spawn(self._outbox.deliver(notice, conversation))
            replies = (_reply(notice),) if notice is not None else ()
            return TurnResult(message_id, conversation_id, mode, replies, route="throttled")
        if not created:
            metrics.DUPLICATES.labels(message.channel).inc()
            return await self.result(message_id, duplicate=True)
        metrics.INBOUND.labels(message.channel).inc()
        self._kick(conversation_id)
        return TurnResult(message_id, conversation_id, mode, ())

    async def handle(self, message: InboundMessage, *, timeout: float = 30.0) -> TurnResult:
        """Submit and wait up to `timeout` for the turn's replies (a retried message gets
        the first one's). A turn still running then gives a result with `pending` set and
        no replies; it goes on, and its replies are delivered when it ends."""
        submitted = await self.submit(message)
        if submitted.route == "throttled":
            return submitted  # never runs
        return await self.wait_for_turn(submitted, timeout=timeout)

    async def wait_for_turn(self, submitted: TurnResult, *, timeout: float) -> TurnResult:
        """The result of a submitted message's turn, waiting up to `timeout` (may be
        `math.inf`); `pending` when the turn has not finished by then."""
        if submitted.duplicate and await self._processed(submitted.message_id):
            return await self.result(submitted.message_id, duplicate=True)
        with self._waiting(submitted.message_id, submitted.conversation_id) as waiter:
            # A new message's drain was kicked here: it runs the turn (or finds it run
            # elsewhere) and wakes us, so the poll is a last resort. A retried message
            # may be running on another replica: poll sooner.
            await self.wait_until_processed(
                submitted.message_id,
                timeout=timeout,
                poll_s=1.0 if submitted.duplicate else LOCAL_TURN_POLL_S,
            )
            if waiter.result is not None and not submitted.duplicate:
                return waiter.result  # run here: the replies it just committed
        return await self.result(submitted.message_id, duplicate=submitted.duplicate)

    @contextlib.contextmanager
    def _waiting(self, message_id: int, conversation_id: int | None) -> Iterator[_Waiter]:
        """The waiter for one message, shared by every request waiting for it."""
        waiter = self._waiters.setdefault(message_id, _Waiter(conversation_id, asyncio.Event()))
        waiter.users += 1
        try:
            yield waiter
        finally:
            waiter.users -= 1
            if not waiter.users:
                self._waiters.pop(message_id, None)

    async def wait_until_processed(
        self,
        message_id: int,
        *,
        timeout: float = 30.0,
        poll_s: float = 1.0,
        max_poll_s: float = 5.0,
    ) -> bool:
        """Wait for the turn. Woken at once when this process ran it, or when this
        process's drain of the conversation found nothing left to run (another replica
        ran it). The database is polled only as a safety net, every 1 s doubling to 5 s,
        so waiting requests take no CPU from the turns themselves.

        A wake without the result is only a hint: a drain that found the conversation
        empty wakes every waiter of it, including one whose message was inserted just
        after that drain looked. So the row is checked, and the wait goes on unless it
        is really processed."""
        with self._waiting(message_id, None) as waiter:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    return False
                try:
                    async with asyncio.timeout(min(poll_s, left)):
                        await waiter.event.wait()
                    if waiter.result is not None:
                        return True
                except TimeoutError:
                    poll_s = min(poll_s * 2, max_poll_s)
                if await self._processed(message_id):
                    return True
                if waiter.result is not None:  # ran while the row was being read
                    return True
                waiter.event.clear()

    async def _processed(self, message_id: int) -> bool:
        async with self._sessions() as session:
            row = await session.get(Message, message_id)
            return row is not None and row.status != InboundStatus.received

    async def result(self, message_id: int, *, duplicate: bool = False) -> TurnResult:
        """What the message's turn left in the database (`pending` while not yet run)."""
        async with self._sessions() as session:
            row = await session.get(Message, message_id)
            assert row is not None
            conversation = await session.get(Conversation, row.conversation_id)
            replies = await messages.replies_to(session, message_id)
            trace = await traces.trace_for_message(session, message_id)
        assert conversation is not None
        return TurnResult(
            message_id=message_id,
            conversation_id=row.conversation_id,
            mode=str(conversation.mode),
            replies=tuple(_reply(r) for r in replies),
            duplicate=duplicate,
            route=trace.route if trace else None,
            pending=row.status == InboundStatus.received,
        )

    def _over_limit(self, sender: str) -> bool:
        """Per sender (a Telegram or Slack account, a web chat visitor), per replica: one
        person flooding the bot slows only themselves, and costs no model calls."""
        return self._sender_limits is not None and self._sender_limits.retry_after(sender) > 0

    async def _customer_id(self, session: AsyncSession, message: InboundMessage) -> int | None:
        if message.verified_customer_id is not None:
            return message.verified_customer_id
        return await customers.customer_id_for(
            session,
            user_id=message.verified_user_id,
            channel=message.channel,
            channel_user_id=message.channel_user_id,
        )

    # --- turns -----------------------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _kick(self, conversation_id: int, *, until_empty: bool = False) -> None:
        self._drains[conversation_id] = self._drains.get(conversation_id, 0) + 1
        self._idle.clear()
        self._spawn(self._counted_drain(conversation_id, until_empty=until_empty))

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
                async with self._sessions() as session:
                    turn = await messages.next_turn(session, conversation_id)
                if turn is None:
                    self._wake_finished(conversation_id)
                    return
                inbound = turn[0]
                with structlog.contextvars.bound_contextvars(
                    conversation_id=conversation_id, message_id=inbound.id
                ):
                    await self._process_turn(*turn)
                if not until_empty:
                    return

    async def _process_turn(
        self, inbound: Message, conversation: Conversation, customer: Customer | None
    ) -> None:
        assert inbound.id is not None
        result = TurnResult(inbound.id, inbound.conversation_id, str(Mode.human), ())
        if conversation.mode == Mode.human:
            await self._relay_to_staff(inbound)
        else:
            async with turn_transaction(self._sessions) as turn:
                outcome = await self._run_turn(inbound, conversation, customer, turn)
                outbox, mode = await self._commit_turn(turn, inbound, outcome)
            for row in outbox:
                await self._outbox.deliver(row, conversation)
            for approval_id in outcome.approvals:
                await self._start_waiting(approval_id)
            replies = tuple(_reply(row) for row in outbox)
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
        waiter = self._waiters.get(inbound.id)
        if waiter is not None:  # the reply first; live pushes to other sockets after it
            waiter.result = result
            waiter.event.set()
        if conversation.mode != Mode.human:
            for listener in self._answered:
                listener(self._turn_request(inbound, conversation, customer))
        await self.conversation_changed(inbound.conversation_id)

    def _wake_finished(self, conversation_id: int) -> None:
        """Nothing left to run in this conversation: whoever waits on one of its messages
        can read the outcome (run by another replica, or before this process started).
        A hint only: a message stored since the drain looked is woken too, and its
        waiter checks the row before believing it (`wait_until_processed`)."""
        for waiter in self._waiters.values():
            if waiter.conversation_id == conversation_id:
                waiter.event.set()

    @staticmethod
    def _turn_request(
        inbound: Message, conversation: Conversation, customer: Customer | None
    ) -> TurnRequest:
        return TurnRequest(
            conversation_id=conversation.id,  # type: ignore[arg-type]
            message_id=inbound.id,  # type: ignore[arg-type]
            channel=conversation.channel,
            text=inbound.text,
            customer_id=customer.id if customer else None,
            customer_name=customer.name if customer else None,
            customer_vip=customer.vip if customer else False,
            customer_email=customer.email if customer else None,
            language=conversation.language,
            locale=inbound.locale,
        )

    async def _run_turn(
        self,
        inbound: Message,
        conversation: Conversation,
        customer: Customer | None,
        turn: TurnTransaction,
    ) -> TurnOutcome:
        request = self._turn_request(inbound, conversation, customer)
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

    async def _commit_turn(
        self, turn: TurnTransaction, inbound: Message, outcome: TurnOutcome
    ) -> tuple[list[Message], str]:
        """Replies, the inbound status and the trace, in the turn's transaction with its
        tools' writes and its checkpoint: all or nothing. Returns the queued replies and
        the conversation's mode after the turn."""
        assert inbound.id is not None
        session = await turn.session()
        outbox = await self._queue_replies(
            session, inbound.conversation_id, inbound.channel, outcome, reply_to=inbound.id
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

    # --- approvals ---------------------------------------------------------------------

    async def _approval_request(self, approval_id: int) -> tuple[ApprovalRequest, Approval] | None:
        """The waiting action as the graph resumes it, and the approval row it came from."""
        async with self._sessions() as session:
            approval = await session.get(Approval, approval_id)
            if approval is None:
                return None
            conversation = await session.get(Conversation, approval.conversation_id)
            assert conversation is not None and approval.id is not None
            customer = (
                await session.get(Customer, conversation.customer_id)
                if conversation.customer_id is not None
                else None
            )
        request = ApprovalRequest(
            approval_id=approval.id,
            conversation_id=approval.conversation_id,
            message_id=approval.message_id,
            channel=conversation.channel,
            tool=approval.tool,
            arguments=dict(approval.arguments),
            summary=approval.summary,
            customer_id=conversation.customer_id,
            customer_name=customer.name if customer else None,
            customer_vip=customer.vip if customer else False,
            customer_email=customer.email if customer else None,
            language=conversation.language,
        )
        return request, approval

    async def _start_waiting(self, approval_id: int) -> None:
        found = await self._approval_request(approval_id)
        if found is not None:
            try:
                await self._runner.start_approval(found[0])
            except Exception:  # the decision starts it again if this failed
                log.exception("approval.start_failed", approval_id=approval_id)

    async def decide_approval(
        self, approval_id: int, *, approved: bool, decided_by: str
    ) -> ApprovalDecision:
        """Record a staff decision and resume the waiting action, exactly once."""
        async with transaction(self._sessions) as session:
            if await session.get(Approval, approval_id) is None:
                raise LookupError(f"approval {approval_id} not found")
            applied = await approvals.record_decision(
                session, approval_id, approved=approved, decided_by=decided_by
            )
        if applied:
            await self._carry_out(approval_id)
        async with self._sessions() as session:
            approval = await session.get(Approval, approval_id)
        assert approval is not None
        return ApprovalDecision(approval_id, applied, approval.status, approval.decided_by)

    async def _carry_out(self, approval_id: int) -> None:
        """Resume the approval graph with the recorded decision, then tell the customer."""
        found = await self._approval_request(approval_id)
        if found is None or found[1].status not in approvals.DECIDING:
            return
        request, approval = found
        async with self._locks.hold(request.conversation_id):
            async with turn_transaction(self._sessions) as turn:
                outcome = await self._runner.resume_approval(
                    request,
                    approved=approval.status == "approving",
                    decided_by=approval.decided_by or "?",
                    turn=turn,
                )
                session = await turn.session()
                outbox = await self._queue_replies(
                    session, request.conversation_id, request.channel, outcome
                )
                await approvals.mark_carried_out(session, approval_id)
                conversation = await session.get(Conversation, request.conversation_id)
            assert conversation is not None
            for row in outbox:  # pushed to an open widget, or sent to Telegram / Slack
                await self._outbox.deliver(row, conversation)
        await self.conversation_changed(request.conversation_id)

    # --- delivery --------------------------------------------------------------------

    async def _queue_replies(
        self,
        session: AsyncSession,
        conversation_id: int,
        channel: str,
        outcome: TurnOutcome,
        *,
        reply_to: int | None = None,
    ) -> list[Message]:
        """The outbox rows for a turn's replies, in the caller's transaction."""
        return [
            await self._outbox.queue(
                session,
                conversation_id=conversation_id,
                channel=channel,
                text=reply["text"],
                quick_replies=list(reply.get("quick_replies") or []),
                reply_to_id=reply_to,
            )
            for reply in outcome.replies
        ]

    async def send_staff_reply(
        self,
        conversation_id: int,
        text: str,
        *,
        quick_replies: list[str] | None = None,
        role: Role = Role.staff,
        author: str | None = None,
    ) -> int:
        """Queue and deliver a staff member's message (or, with `role=bot`, a message the
        bot sends because of a staff action) to the customer's channel; `author` is who
        wrote it."""
        async with transaction(self._sessions) as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise LookupError(f"conversation {conversation_id} not found")
            row = await self._outbox.queue(
                session,
                conversation_id=conversation_id,
                channel=conversation.channel,
                text=text,
                role=role,
                quick_replies=quick_replies,
                author=author,
            )
        assert row.id is not None
        async with self._locks.hold(conversation_id):
            await self._outbox.deliver(row, conversation)
        return row.id

    async def retry_delivery(self, outbox_id: int) -> str:
        """Staff retry of a dead letter: back to pending, delivered again in order."""
        conversation_id, status = await self._outbox.reset_failed(outbox_id)
        if conversation_id is None:
            return status
        async with self._locks.hold(conversation_id):
            await self._outbox.deliver_stored(outbox_id)
        return await self._outbox.status(outbox_id)
