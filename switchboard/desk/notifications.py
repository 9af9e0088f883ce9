"""Staff notifications to Slack: the desk's outbox.

Graph tools and the engine only insert `staff_notifications` rows; this posts the pending
ones in id order (a handoff card before the customer messages relayed into its thread),
marks them sent or failed, and on start posts whatever a crash left behind. A replica
claims a row before posting it; claims a dead replica left are requeued.
"""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.slack.blocks import escape
from bots.slack.cards import MessageRef, NoticeCard
from bots.slack.poster import SlackStaffPoster, StaffPostFailed
from storage import staff
from storage.db import transaction
from storage.models import Approval, Conversation, Message, StaffNotification, Ticket
from switchboard.desk.cards import CardReader
from switchboard.desk.translations import Original, StaffTranslator
from switchboard.workers import OutboxWorker

log = structlog.get_logger(__name__)

MAX_BACKOFF_S = 60.0
STALE_CHECK_S = 30.0


class NotificationOutbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        poster: SlackStaffPoster,
        cards: CardReader,
        translator: StaffTranslator | None = None,
    ) -> None:
        self._translator = translator
        self._sessions = sessions
        self._poster = poster
        self._cards = cards
        self._wake = asyncio.Event()
        self._failures = 0
        self._worker = OutboxWorker(
            sessions,
            self._wake,
            drain=self._drain,
            retry_in=lambda: self._backoff(None),
            requeue=staff.requeue_stale_claims,
            stale_check_s=STALE_CHECK_S,
            log=log,
            kind="staff",
            rows="notifications",
        )

    async def start(self) -> None:
        """Post what is pending, and later what is queued; notifications a dead replica
        was posting go back to the queue at start and every `STALE_CHECK_S`."""
        await self._worker.start()

    async def stop(self, timeout: float = 10.0) -> None:
        """Finish the post in flight (else it is posted again on the next start)."""
        await self._worker.stop(timeout)

    async def conversation_changed(self, conversation_id: int) -> None:
        """An `Engine.on_conversation_changed` listener: a change may have queued a post."""
        self._wake.set()

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
                if self._worker.stopping:
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
            thread = await self.thread(note.conversation_id)
            if thread is None:
                thread = await self._open_thread(note.conversation_id)
            async with self._sessions() as session:
                conversation = await session.get(Conversation, note.conversation_id)
                assert conversation is not None
                who = await self._cards.customer_label(session, conversation)
                relayed = await _relayed_message(session, note, conversation.language)
            line = f"*{escape(who)}:* {escape(note.text)}"
            if self._translator is not None and relayed is not None:
                translation = await self._translator.translation(relayed)
                if translation:
                    line += f"\n> _{escape(translation)}_"
            await self._poster.note(thread, line)
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

    async def thread(self, conversation_id: int) -> MessageRef | None:
        """The conversation's staff thread, once its handoff card is posted."""
        async with self._sessions() as session:
            thread = await staff.thread_for_conversation(session, conversation_id)
        return MessageRef(thread.channel_ref, thread.thread_ref) if thread else None


async def _relayed_message(
    session: AsyncSession, note: StaffNotification, language: str | None
) -> Original | None:
    """The customer message a relay notification carries (its key is `msg:<id>:relay`);
    no turn ran for it, so it is in the conversation's `language` unless it says."""
    parts = (note.idempotency_key or "").split(":")
    if len(parts) != 3 or parts[0] != "msg" or parts[2] != "relay" or not parts[1].isdigit():
        return None
    message = await session.get(Message, int(parts[1]))
    if message is None or message.id is None:
        return None
    return Original(message.id, message.text, message.language or language)
