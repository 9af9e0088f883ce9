"""The staff desk: staff notifications to Slack, and what staff do there.

Durable first: graph tools and the engine only insert `staff_notifications` rows; this
desk posts the pending ones in id order (a handoff card before the customer messages
relayed into its thread), marks them sent or failed, and on start posts whatever a
crash left behind. Staff actions (take, resolve, return to bot, thread replies,
approvals) change storage with conditional updates, so a double click acts once.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import structlog
from sqlmodel import col, select

from bots.base import EngineHandle
from bots.slack.blocks import escape
from bots.slack.cards import MessageRef, NoticeCard, StatusReport, TicketCard
from bots.slack.channel import SlackChannel
from bots.slack.poster import SlackStaffPoster, StaffPostFailed
from graph.slots import RATINGS
from storage import staff
from storage.corrections import NothingToLearn, TurnNotFound, record_correction
from storage.db import transaction
from storage.models import (
    Approval,
    Conversation,
    Message,
    Mode,
    OutboundStatus,
    Role,
    StaffNotification,
    Ticket,
)
from switchboard.settings import ConfigError, Settings
from switchboard.staff_cards import CardReader

if TYPE_CHECKING:
    from switchboard.runtime import Runtime

log = structlog.get_logger(__name__)

RESOLVED_TEXT = (
    "Our support team has marked your request as resolved. If there's anything else, just "
    "write here and I'll help."
)
RETURNED_TEXT = (
    "You're back with our virtual assistant. Write here any time, and if you need a person "
    "again, just ask."
)
MAX_BACKOFF_S = 60.0
STALE_CHECK_S = 30.0


class StaffDesk:
    def __init__(self, runtime: Runtime, poster: SlackStaffPoster) -> None:
        self._sessions = runtime.sessions
        self._engine = runtime.engine
        self._policy = runtime.policy
        self._poster = poster
        self._cards = CardReader(runtime.settings.public_url, tuple(runtime.policy.intents))
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._failures = 0
        self._stopping = False
        self._checked_claims_at = 0.0

    # --- notifications -----------------------------------------------------------------

    async def start(self) -> None:
        await self._requeue_stale_claims()
        self._engine.on_conversation_changed(self.conversation_changed)
        self._worker = asyncio.create_task(self._work())
        self._wake.set()  # whatever is pending from before the start

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the post in flight (else it is posted again on the next start)."""
        self._stopping = True
        self._wake.set()
        if self._worker is not None:
            _, pending = await asyncio.wait([self._worker], timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    async def conversation_changed(self, conversation_id: int) -> None:
        self._wake.set()

    async def _requeue_stale_claims(self) -> None:
        """Notifications a dead replica was posting go back to the queue: checked at start
        and every `STALE_CHECK_S` while running, so no restart is needed for them."""
        async with transaction(self._sessions) as session:
            requeued = await staff.requeue_stale_claims(session)
        self._checked_claims_at = asyncio.get_running_loop().time()
        if requeued:
            log.info("staff.requeued", notifications=requeued)

    async def _work(self) -> None:
        delay: float | None = None
        while not self._stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=STALE_CHECK_S if delay is None else delay
                )
            self._wake.clear()
            if self._stopping:
                return
            try:
                if asyncio.get_running_loop().time() - self._checked_claims_at >= STALE_CHECK_S:
                    await self._requeue_stale_claims()
                delay = await self._drain()
            except Exception:
                log.exception("staff.drain_failed")
                delay = self._backoff(None)

    def _backoff(self, retry_after: float | None) -> float:
        self._failures += 1
        if retry_after is not None:
            return retry_after
        return min(2.0 ** (self._failures - 1), MAX_BACKOFF_S)

    async def _drain(self) -> float | None:
        """Post pending rows oldest first. A temporary failure stops the pass (order is
        kept) and returns how long to wait; None when everything was handled."""
        while True:
            async with self._sessions() as session:
                batch = await staff.pending_notifications(session)
            if not batch:
                return None
            for note in batch:
                assert note.id is not None
                if self._stopping:
                    return None
                async with transaction(self._sessions) as session:
                    if not await staff.claim_notification(session, note.id):
                        continue  # another replica has it
                try:
                    await self._post(note)
                except StaffPostFailed as exc:
                    status = staff.FAILED if exc.permanent else staff.PENDING
                    await self._finish(note.id, status)
                    log.warning("staff.post_failed", id=note.id, kind=note.kind, error=str(exc))
                    if not exc.permanent:
                        return self._backoff(exc.retry_after)
                    continue
                except Exception:
                    log.exception("staff.post_broken", id=note.id, kind=note.kind)
                    await self._finish(note.id, staff.FAILED)
                    continue
                self._failures = 0
                await self._finish(note.id, staff.SENT)

    async def _finish(self, notification_id: int, status: str) -> None:
        async with transaction(self._sessions) as session:
            await staff.finish_notification(session, notification_id, status)

    async def _post(self, note: StaffNotification) -> None:
        if note.kind == "handoff" and note.conversation_id:
            await self._open_thread(note.conversation_id)
        elif note.kind == "customer_message" and note.conversation_id:
            thread = await self._thread(note.conversation_id)
            if thread is None:
                thread = await self._open_thread(note.conversation_id)
            async with self._sessions() as session:
                conversation = await session.get(Conversation, note.conversation_id)
                assert conversation is not None
                who = await self._cards.customer_label(session, conversation)
            await self._poster.note(thread, f"*{escape(who)}:* {escape(note.text)}")
        elif note.kind == "approval" and note.approval_id:
            async with self._sessions() as session:
                approval = await session.get(Approval, note.approval_id)
                assert approval is not None
                card = await self._cards.approval(session, approval)
            await self._poster.post(card)
        elif note.ticket_id:
            async with self._sessions() as session:
                ticket = await session.get(Ticket, note.ticket_id)
                assert ticket is not None
                ticket_card = await self._cards.ticket(session, ticket)
            await self._poster.post(ticket_card)
        else:
            url = self._cards.admin_url(note.conversation_id) if note.conversation_id else None
            await self._poster.post(NoticeCard(note.kind, note.text, url))

    async def _open_thread(self, conversation_id: int) -> MessageRef:
        """Post the handoff card; its thread is where this conversation's staff talk is."""
        async with self._sessions() as session:
            card = await self._cards.handoff(session, conversation_id)
        ref = await self._poster.post(card)
        async with transaction(self._sessions) as session:
            await staff.save_thread(
                session, conversation_id=conversation_id, channel_ref=ref.channel, thread_ref=ref.ts
            )
        return ref

    async def _thread(self, conversation_id: int) -> MessageRef | None:
        async with self._sessions() as session:
            thread = await staff.thread_for_conversation(session, conversation_id)
        return MessageRef(thread.channel_ref, thread.thread_ref) if thread else None

    # --- staff actions -----------------------------------------------------------------

    async def _refresh_card(
        self, conversation_id: int, *, closed: str | None = None, closed_by: str | None = None
    ) -> MessageRef | None:
        thread = await self._thread(conversation_id)
        if thread is None:
            return None
        async with self._sessions() as session:
            card = await self._cards.handoff(
                session, conversation_id, closed=closed, closed_by=closed_by
            )
        await self._poster.update(thread, card)
        return thread

    async def take(self, conversation_id: int, user: str) -> None:
        async with transaction(self._sessions) as session:
            taken = await staff.assign(session, conversation_id, user)
        if not taken:
            await self._poster.whisper(
                self._poster.support_channel,
                user,
                f"Conversation #{conversation_id} is not waiting for staff any more.",
            )
            return
        thread = await self._refresh_card(conversation_id)
        if thread is not None:
            await self._poster.note(thread, f"<@{user}> took this conversation.")

    async def hand_back(self, conversation_id: int, user: str, *, resolved: bool) -> None:
        async with transaction(self._sessions) as session:
            changed = await staff.return_to_bot(
                session, conversation_id, by=user, resolved=resolved
            )
        if not changed:
            await self._poster.whisper(
                self._poster.support_channel,
                user,
                f"Conversation #{conversation_id} is already back with the bot.",
            )
            return
        await self._engine.conversation_changed(conversation_id)  # the widget shows "bot"
        await self._engine.send_staff_reply(
            conversation_id, RESOLVED_TEXT if resolved else RETURNED_TEXT
        )
        if resolved:
            await self._ask_rating(conversation_id)
        closed = "resolved" if resolved else "returned"
        thread = await self._refresh_card(conversation_id, closed=closed, closed_by=user)
        if thread is not None:
            what = "resolved this" if resolved else "returned this to the bot"
            await self._poster.note(
                thread, f"<@{user}> {what}; the customer was told and the bot answers again."
            )

    async def _ask_rating(self, conversation_id: int) -> None:
        """Resolved by staff: the 1-5 question, once per conversation, where the policy
        asks it on this channel. The bot reads the answer (graph/nodes/csat.py)."""
        question = self._policy.csat.question
        async with self._sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
            asked = await session.exec(
                select(Message.id).where(
                    Message.conversation_id == conversation_id,
                    col(Message.text).contains(question),
                )
            )
            already = asked.first() is not None
        if conversation is None or already or not self._policy.csat.asks_on(conversation.channel):
            return
        await self._engine.send_staff_reply(
            conversation_id, question, quick_replies=list(RATINGS), role=Role.bot
        )

    async def staff_reply(self, thread: MessageRef, user: str, text: str) -> None:
        """A reply in a handoff thread goes to the customer, on their channel, as staff."""
        async with self._sessions() as session:
            row = await staff.thread_by_ref(
                session, channel_ref=thread.channel, thread_ref=thread.ts
            )
            conversation = await session.get(Conversation, row.conversation_id) if row else None
        if conversation is None or conversation.id is None or not text:
            return  # staff talking among themselves under some other post
        if conversation.mode == Mode.closed:
            await self._poster.note(thread, ":warning: This conversation is closed; not sent.")
            return
        if conversation.mode == Mode.human and not conversation.assignee:
            await self.take(conversation.id, user)  # the first to answer has it
        outbox_id = await self._engine.send_staff_reply(conversation.id, text)
        async with self._sessions() as session:
            sent = await session.get(Message, outbox_id)
        if sent is not None and sent.status == OutboundStatus.failed:
            await self._poster.note(
                thread, f":warning: Not delivered to the customer: {escape(sent.error or '?')}"
            )

    # --- approvals ---------------------------------------------------------------------

    async def is_approver(self, user: str) -> bool:
        approvers = self._policy.approvers
        if user in approvers:
            return True
        for group in (a for a in approvers if a.startswith("S")):
            try:
                if user in await self._poster.group_members(group):
                    return True
            except StaffPostFailed as exc:
                log.warning("staff.group_lookup_failed", group=group, error=str(exc))
        return False

    async def decide(
        self, approval_id: int, user: str, *, approved: bool, card: MessageRef
    ) -> None:
        if not await self.is_approver(user):
            await self._poster.whisper(
                card.channel,
                user,
                "Only the approvers listed in the policy (`approvers`) can approve or deny.",
            )
            return
        try:
            decision = await self._engine.decide_approval(
                approval_id, approved=approved, decided_by=user
            )
        except LookupError:
            await self._poster.whisper(card.channel, user, f"No approval #{approval_id}.")
            return
        async with self._sessions() as session:
            approval = await session.get(Approval, approval_id)
            assert approval is not None
            updated = await self._cards.approval(session, approval)
        await self._poster.update(card, updated)
        if not decision.applied:
            verb = "approved" if decision.status in ("approved", "approving") else "denied"
            await self._poster.whisper(
                card.channel,
                user,
                f"Approval #{approval_id} was already {verb} by <@{decision.decided_by}>.",
            )

    # --- learning from staff -----------------------------------------------------------

    async def label_intent(self, trace_id: int, intent: str, user: str, card: MessageRef) -> None:
        """The "Correct intent" menu on a handoff card: store the right intent of the turn
        that led to the handoff, for `switchboard intents retrain`; answered in the card's
        thread."""
        if not await self.may_use_commands(user, card.channel):
            await self._poster.whisper(
                card.channel,
                user,
                f"Only staff in <#{self._poster.support_channel}> (or approvers) can "
                "correct intents.",
            )
            return
        if intent not in self._policy.intents:
            await self._poster.whisper(
                card.channel, user, f"The policy has no intent `{escape(intent)}` any more."
            )
            return
        try:
            async with transaction(self._sessions) as session:
                labelled = await record_correction(
                    session, trace_id=trace_id, intent=intent, labelled_by=user, source="slack"
                )
        except (TurnNotFound, NothingToLearn) as exc:
            await self._poster.whisper(card.channel, user, f"Not stored: {exc}.")
            return
        if not labelled.changed:
            await self._poster.whisper(
                card.channel, user, f"This turn is already labelled `{escape(intent)}`."
            )
            return
        said = escape(labelled.trace.intent or "no intent")
        thread = await self._thread(labelled.trace.conversation_id)
        await self._poster.note(
            thread or card,
            f"<@{user}> corrected the intent: `{escape(intent)}` (the bot said `{said}`). "
            "Stored for the next `switchboard intents retrain`.",
        )

    # --- the slash command -------------------------------------------------------------

    async def may_use_commands(self, user: str, channel: str) -> bool:
        return channel == self._poster.support_channel or await self.is_approver(user)

    async def status(self) -> StatusReport:
        async with self._sessions() as session:
            return await self._cards.status(session)

    async def ticket(self, number: str) -> TicketCard | None:
        async with self._sessions() as session:
            found = await staff.ticket_by_number(session, number)
            return await self._cards.ticket(session, found) if found else None


class SlackWithDesk:
    """Slack's customers and the staff desk on it: what the channel table runs for Slack."""

    def __init__(self, channel: SlackChannel) -> None:
        self.channel = channel
        self._desks: list[StaffDesk] = []

    async def attach(self, runtime: Runtime) -> None:
        desk = StaffDesk(runtime, self.channel.poster)
        self.channel.attach(desk)
        self._desks.append(desk)
        await desk.start()

    async def stop(self) -> None:
        await self.channel.stop()
        for desk in self._desks:
            await desk.stop()


def slack_with_desk(settings: Settings, engine: EngineHandle) -> SlackWithDesk | None:
    """The Slack channel and its staff desk, or None when Slack is not configured."""
    token, secret = settings.slack_bot_token, settings.slack_signing_secret
    if token is None and secret is None:
        return None
    if token is None:
        raise ConfigError(
            "config error: SLACK_BOT_TOKEN: required when SLACK_SIGNING_SECRET is set"
        )
    if secret is None:
        raise ConfigError(
            "config error: SLACK_SIGNING_SECRET: required when SLACK_BOT_TOKEN is set"
        )
    if not settings.slack_support_channel:
        raise ConfigError(
            "config error: SLACK_SUPPORT_CHANNEL: the staff channel id (C…) is required for Slack"
        )
    channel = SlackChannel(
        engine=engine,
        bot_token=token.get_secret_value(),
        signing_secret=secret.get_secret_value(),
        support_channel=settings.slack_support_channel,
        api_url=settings.slack_api_url,
        app_token=settings.slack_app_token.get_secret_value() if settings.slack_app_token else None,
    )
    return SlackWithDesk(channel)
