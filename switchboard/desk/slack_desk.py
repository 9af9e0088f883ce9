"""The staff desk: what staff do in Slack.

Taking, resolving and handing back a conversation, replying in its thread (through the
channel-neutral `handoffs.HandoffDesk`, which the console uses too; what is done there is
mirrored into the thread), deciding approvals, teaching the classifier and the slash
command. Each action changes storage
with a conditional update, so a double click acts once. Notifications to staff go out
through the desk's outbox (`notifications.py`).
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bots.slack.blocks import escape, person
from bots.slack.cards import MessageRef, StatusReport, TicketCard
from bots.slack.poster import SlackStaffPoster, StaffPostFailed
from graph.policy import Policy
from storage import staff
from storage.corrections import NothingToLearn, TurnNotFound, record_correction
from storage.db import transaction
from storage.models import Approval, Message, OutboundStatus
from switchboard.desk.cards import CardReader
from switchboard.desk.handoffs import ConversationClosed, HandoffDesk, HandoffEvent, StaffMember
from switchboard.desk.notifications import NotificationOutbox
from switchboard.desk.translations import StaffTranslator
from switchboard.engine.core import Engine

log = structlog.get_logger(__name__)


def _member(user: str) -> StaffMember:
    """A Slack user: stored by id; the customer is told "a person from our team"."""
    return StaffMember(user)


class StaffDesk:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        engine: Engine,
        policy: Policy,
        handoffs: HandoffDesk,
        poster: SlackStaffPoster,
        cards: CardReader,
        translator: StaffTranslator | None = None,
    ) -> None:
        """`engine` decides approvals and wakes the notification outbox."""
        self._sessions = sessions
        self._engine = engine
        self._policy = policy
        self._poster = poster
        self._cards = cards
        self._outbox = NotificationOutbox(sessions, poster, cards, translator)
        self._handoffs = handoffs
        self._handoffs.on_action(self._mirror)

    async def start(self) -> None:
        await self._outbox.start()
        self._engine.on_conversation_changed(self._outbox.conversation_changed)

    async def stop(self, timeout: float = 10.0) -> None:
        await self._outbox.stop(timeout)

    # --- staff actions -----------------------------------------------------------------

    async def _refresh_card(
        self, conversation_id: int, *, closed: str | None = None, closed_by: str | None = None
    ) -> MessageRef | None:
        thread = await self._outbox.thread(conversation_id)
        if thread is None:
            return None
        async with self._sessions() as session:
            card = await self._cards.handoff(
                session, conversation_id, closed=closed, closed_by=closed_by
            )
        await self._poster.update(thread, card)
        return thread

    async def take(self, conversation_id: int, user: str) -> None:
        try:
            taken = await self._handoffs.take(conversation_id, _member(user), "slack")
        except LookupError:
            taken = False
        if not taken:
            await self._poster.whisper(
                self._poster.support_channel,
                user,
                f"Conversation #{conversation_id} is not waiting for staff any more.",
            )

    async def hand_back(self, conversation_id: int, user: str, *, resolved: bool) -> None:
        try:
            changed = await self._handoffs.hand_back(
                conversation_id, _member(user), resolved=resolved, source="slack"
            )
        except LookupError:
            changed = False
        if not changed:
            await self._poster.whisper(
                self._poster.support_channel,
                user,
                f"Conversation #{conversation_id} is already back with the bot.",
            )

    async def staff_reply(self, thread: MessageRef, user: str, text: str) -> None:
        """A reply in a handoff thread goes to the customer, on their channel, as staff."""
        async with self._sessions() as session:
            row = await staff.thread_by_ref(
                session, channel_ref=thread.channel, thread_ref=thread.ts
            )
        if row is None or not text:
            return  # staff talking among themselves under some other post
        try:
            outbox_id = await self._handoffs.reply(
                row.conversation_id, _member(user), text, "slack"
            )
        except ConversationClosed:
            await self._poster.note(thread, ":warning: This conversation is closed; not sent.")
            return
        except LookupError:
            return
        async with self._sessions() as session:
            sent = await session.get(Message, outbox_id)
        if sent is not None and sent.status == OutboundStatus.failed:
            await self._poster.note(
                thread, f":warning: Not delivered to the customer: {escape(sent.error or '?')}"
            )

    async def _mirror(self, event: HandoffEvent) -> None:
        """Every staff action, from Slack or elsewhere, shown on the handoff's card and in
        its thread (a console reply is posted there, so Slack sees it too)."""
        who = (
            person(event.by.key)
            if event.source == "slack"
            else escape(event.by.name or event.by.key)
        )
        where = "" if event.source == "slack" else f" (in the {event.source})"
        if event.action == "take":
            thread = await self._refresh_card(event.conversation_id)
            if thread is not None:
                await self._poster.note(thread, f"{who} took this conversation{where}.")
        elif event.action in ("resolve", "return"):
            closed = "resolved" if event.action == "resolve" else "returned"
            thread = await self._refresh_card(
                event.conversation_id, closed=closed, closed_by=event.by.key
            )
            if thread is not None:
                what = "resolved this" if event.action == "resolve" else "returned this to the bot"
                await self._poster.note(
                    thread,
                    f"{who} {what}{where}; the customer was told and the bot answers again.",
                )
        elif event.source != "slack":  # a reply or note written outside Slack
            thread = await self._outbox.thread(event.conversation_id)
            if thread is not None:
                label = "to the customer" if event.action == "reply" else "internal note"
                await self._poster.note(thread, f"*{who}*{where}, {label}: {escape(event.text)}")

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
        thread = await self._outbox.thread(labelled.trace.conversation_id)
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
