"""Staff decisions on approvals, made again in a replay at the moment they were made.

A workflow paused for an approval went on when staff decided; replayed without the
decision, the customer's next message would meet a workflow still waiting. So when a
replayed turn asks for the same approval the original asked for (same message, same
tool) and staff had decided it, the replay decides its own the same way before the first
later message that came after the decision. The decided action runs through the same
sandboxed tools (a connector's is never made).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.runner import ApprovalRequest, TurnRunner, customer_fields
from storage import approvals
from storage.models import Approval, Customer

DECIDED = ("approving", "denying", "approved", "denied")


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Decision:
    message_id: int
    tool: str
    approved: bool
    decided_by: str
    at: datetime | None


@dataclass
class Decisions:
    """The original decisions of one conversation, and the replay's approvals waiting to
    be decided like them."""

    original: list[Decision]
    waiting: list[tuple[int, Decision]] = field(default_factory=list)
    """(the replay's approval id, the original decision it gets)."""
    threads: list[str] = field(default_factory=list)
    """Approval threads the replay started (deleted from the checkpointer afterwards)."""

    @classmethod
    async def of(cls, session: AsyncSession, conversation_id: int) -> Decisions:
        rows = await session.exec(
            select(Approval)
            .where(Approval.conversation_id == conversation_id, col(Approval.status).in_(DECIDED))
            .order_by(col(Approval.id))
        )
        return cls(
            [
                Decision(
                    row.message_id,
                    row.tool,
                    row.status in ("approving", "approved"),
                    row.decided_by or "staff",
                    _utc(row.decided_at),
                )
                for row in rows.all()
            ]
        )

    async def asked(self, session: AsyncSession, approval_ids: list[int]) -> None:
        """The replayed turn asked for these approvals: note those staff had decided."""
        for approval_id in approval_ids:
            row = await session.get(Approval, approval_id)
            if row is None:
                continue
            for decision in self.original:
                if (decision.message_id, decision.tool) == (row.message_id, row.tool):
                    self.original.remove(decision)
                    self.waiting.append((approval_id, decision))
                    break

    async def decide_due(
        self,
        runner: TurnRunner,
        sessions: async_sessionmaker[AsyncSession],
        customer: Customer | None,
        channel: str,
        language: str | None,
        before: datetime | None,
    ) -> int:
        """Decide every waiting approval staff had decided before `before` (all: None);
        returns how many."""
        due = [(i, d) for i, d in self.waiting if before is None or d.at is None or d.at <= before]
        for approval_id, decision in due:
            self.waiting.remove((approval_id, decision))
            async with sessions() as session, session.begin():
                row = await session.get(Approval, approval_id)
                assert row is not None
                await approvals.record_decision(
                    session, approval_id, approved=decision.approved, decided_by=decision.decided_by
                )
            request = ApprovalRequest(
                approval_id=approval_id,
                conversation_id=row.conversation_id,
                message_id=row.message_id,
                channel=channel,
                tool=row.tool,
                arguments=dict(row.arguments),
                summary=row.summary,
                **customer_fields(customer),
                language=language,
            )
            self.threads.append(f"approval:{approval_id}")
            await runner.resume_approval(
                request, approved=decision.approved, decided_by=decision.decided_by
            )
            async with sessions() as session, session.begin():
                await approvals.mark_carried_out(session, approval_id)
        return len(due)
