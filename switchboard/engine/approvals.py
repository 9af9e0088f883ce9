"""Sensitive actions waiting for staff: each waits in its own approval thread; a decision
is recorded once (a second click, a second person change nothing) and carried out once,
in one transaction with what the customer is told, even across a crash."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.runner import ApprovalRequest, TurnRunner, customer_fields
from storage import approvals
from storage.db import transaction
from storage.models import Approval, Conversation, Customer
from storage.turn_transaction import turn_transaction
from switchboard.engine.cluster import ConversationLocks
from switchboard.engine.delivery import Outbox
from switchboard.engine.replies import queue_replies

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ApprovalDecision:
    approval_id: int
    applied: bool
    """False when the approval had been decided already (a second click, a second person)."""
    status: str
    decided_by: str | None


class Approvals:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        runner: TurnRunner,
        locks: ConversationLocks,
        outbox: Outbox,
        changed: Callable[[int], Awaitable[None]],
    ) -> None:
        self._sessions = sessions
        self._runner = runner
        self._locks = locks
        self._outbox = outbox
        self._changed = changed

    async def deciding(self) -> list[int]:
        """Approvals decided before a crash and not yet carried out."""
        async with self._sessions() as session:
            found = await approvals.approvals_with_status(session, *approvals.DECIDING)
        return [a.id for a in found if a.id is not None]

    async def start_waiting(self, approval_id: int) -> None:
        """Run the approval's thread up to staff's decision (after the turn that asked)."""
        found = await self._request(approval_id)
        if found is not None:
            try:
                await self._runner.start_approval(found[0])
            except Exception:  # the decision starts it again if this failed
                log.exception("approval.start_failed", approval_id=approval_id)

    async def decide(
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
            await self.carry_out(approval_id)
        async with self._sessions() as session:
            approval = await session.get(Approval, approval_id)
        assert approval is not None
        return ApprovalDecision(approval_id, applied, approval.status, approval.decided_by)

    async def carry_out(self, approval_id: int) -> None:
        """Resume the approval graph with the recorded decision, then tell the customer."""
        found = await self._request(approval_id)
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
                outbox = await queue_replies(
                    self._outbox, session, request.conversation_id, request.channel, outcome
                )
                await approvals.mark_carried_out(session, approval_id)
                conversation = await session.get(Conversation, request.conversation_id)
            assert conversation is not None
            for row in outbox:  # pushed to an open widget, or sent to Telegram / Slack
                await self._outbox.deliver(row, conversation)
        await self._changed(request.conversation_id)

    async def _request(self, approval_id: int) -> tuple[ApprovalRequest, Approval] | None:
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
            **customer_fields(customer),
            language=conversation.language,
        )
        return request, approval
