"""Reading what staff need to see out of storage, as the Slack package's plain cards."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bots.slack.cards import (
    ApprovalCard,
    HandoffCard,
    Line,
    MessageRef,
    OpenHandoff,
    StatusReport,
    TicketCard,
)
from graph.language import language_name
from graph.replies import money
from storage import staff, tickets, traces
from storage.corrections import correction_for_trace
from storage.models import Approval, Conversation, Customer, Direction, Ticket
from switchboard.desk.translations import Original, StaffTranslator

TRANSCRIPT_LINES = 10


class CardReader:
    def __init__(
        self,
        public_url: str,
        intents: tuple[str, ...] = (),
        translator: StaffTranslator | None = None,
    ) -> None:
        self._public_url = public_url.rstrip("/")
        self._intents = intents  # the policy's, offered in "Correct intent"
        self._translator = translator  # customer messages in another language, translated

    def admin_url(self, conversation_id: int | None) -> str:
        if conversation_id is None:
            return f"{self._public_url}/docs"
        return f"{self._public_url}/api/admin/conversations/{conversation_id}"

    async def customer_label(self, session: AsyncSession, conversation: Conversation) -> str:
        customer = (
            await session.get(Customer, conversation.customer_id)
            if conversation.customer_id
            else None
        )
        if customer is None:
            return f"unverified {conversation.channel} user"
        label = f"{customer.name} ({customer.user_id})" if customer.name else customer.user_id
        return f"{label} · VIP" if customer.vip else label

    async def handoff(
        self,
        session: AsyncSession,
        conversation_id: int,
        *,
        closed: str | None = None,
        closed_by: str | None = None,
    ) -> HandoffCard:
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"conversation {conversation_id} not found")
        handoff = await staff.latest_handoff(session, conversation_id)
        ticket = (
            await session.get(Ticket, handoff.ticket_id) if handoff and handoff.ticket_id else None
        )
        notices = await tickets.notifications_for_conversation(session, conversation_id)
        summaries = [n.text for n in notices if n.kind == "handoff"]
        rows = await staff.recent_messages(session, conversation_id, TRANSCRIPT_LINES)
        translated = (
            await self._translator.translations(
                [
                    Original(m.id, m.text, m.language or conversation.language)
                    for m in rows
                    if m.id is not None and m.direction == Direction.inbound
                ]
            )
            if self._translator
            else {}
        )
        turn = await traces.handoff_turn(session, conversation_id)
        label = await correction_for_trace(session, turn.id) if turn and turn.id else None
        return HandoffCard(
            conversation_id=conversation_id,
            customer=await self.customer_label(session, conversation),
            channel=conversation.channel,
            intent=turn.intent if turn else conversation.last_intent,
            reason=handoff.reason if handoff else "staff",
            summary=summaries[-1] if summaries else "The conversation is with staff.",
            admin_url=self.admin_url(conversation_id),
            transcript=tuple(Line(str(m.role), m.text, translated.get(m.id or 0)) for m in rows),
            ticket_number=ticket.number if ticket else None,
            assignee=conversation.assignee,
            closed=closed,
            closed_by=closed_by,
            trace_id=turn.id if turn else None,
            confidence=turn.confidence if turn else None,
            intents=self._intents,
            corrected=label.intent if label else None,
            corrected_by=label.labelled_by if label else None,
            language=language_name(conversation.language) if conversation.language else None,
        )

    async def ticket(self, session: AsyncSession, ticket: Ticket) -> TicketCard:
        conversation = (
            await session.get(Conversation, ticket.conversation_id)
            if ticket.conversation_id
            else None
        )
        if conversation is not None:
            customer = await self.customer_label(session, conversation)
        else:
            row = await session.get(Customer, ticket.customer_id) if ticket.customer_id else None
            customer = row.user_id if row else "unknown"
        amount = (
            money(ticket.amount_cents, ticket.currency or "EUR")
            if ticket.amount_cents is not None
            else None
        )
        return TicketCard(
            number=ticket.number,
            priority=ticket.priority,
            category=ticket.category,
            status=ticket.status,
            customer=customer,
            summary=ticket.summary,
            admin_url=self.admin_url(ticket.conversation_id),
            amount=amount,
        )

    async def approval(self, session: AsyncSession, approval: Approval) -> ApprovalCard:
        conversation = await session.get(Conversation, approval.conversation_id)
        customer = await self.customer_label(session, conversation) if conversation else "unknown"
        return ApprovalCard(
            approval_id=approval.id,  # type: ignore[arg-type]
            tool=approval.tool,
            summary=approval.summary,
            customer=customer,
            admin_url=self.admin_url(approval.conversation_id),
            arguments=dict(approval.arguments),
            status=approval.status,
            decided_by=approval.decided_by,
        )

    async def status(self, session: AsyncSession) -> StatusReport:
        handoffs = []
        for handoff, conversation, customer in await staff.open_handoffs(session):
            thread = await staff.thread_for_conversation(session, conversation.id)  # type: ignore[arg-type]
            handoffs.append(
                OpenHandoff(
                    conversation_id=conversation.id,  # type: ignore[arg-type]
                    customer=customer.user_id if customer else f"unverified {conversation.channel}",
                    channel=conversation.channel,
                    reason=handoff.reason,
                    assignee=conversation.assignee,
                    since=handoff.created_at.strftime("%d %b %H:%M"),
                    thread=MessageRef(thread.channel_ref, thread.thread_ref) if thread else None,
                )
            )
        approvals = [
            await self.approval(session, a) for a in await staff.pending_approvals(session)
        ]
        return StatusReport(tuple(handoffs), tuple(approvals))
