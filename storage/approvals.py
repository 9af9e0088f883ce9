"""Approvals of sensitive actions: requested once, decided exactly once.

Status: pending → approving | denying (decision recorded, action not yet carried out)
→ approved | denied (carried out and the customer told).
"""

from __future__ import annotations

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.idempotent import insert_once
from storage.models import Approval, utcnow
from storage.webhooks import queue_event, subscribed

DECIDING = ("approving", "denying")


async def request_approval(session: AsyncSession, approval: Approval) -> tuple[Approval, bool]:
    return await insert_once(session, approval)


async def get_approval(session: AsyncSession, approval_id: int) -> Approval | None:
    return await session.get(Approval, approval_id)


async def record_decision(
    session: AsyncSession, approval_id: int, *, approved: bool, decided_by: str
) -> bool:
    """Record the first decision only; False when someone decided already."""
    result = await session.exec(
        update(Approval)
        .where(col(Approval.id) == approval_id, col(Approval.status) == "pending")
        .values(
            status="approving" if approved else "denying",
            decided_by=decided_by,
            decided_at=utcnow(),
        )
    )
    if not result.rowcount:
        return False
    if subscribed(session, "approval.decided"):
        approval = await session.get(Approval, approval_id)
        assert approval is not None
        await queue_event(
            session,
            "approval.decided",
            f"approval:{approval_id}",
            conversation_id=approval.conversation_id,
            approval={
                "id": approval_id,
                "tool": approval.tool,
                "summary": approval.summary,
                "approved": approved,
                "decided_by": decided_by,
            },
        )
    return True


async def mark_carried_out(session: AsyncSession, approval_id: int) -> None:
    approval = await session.get(Approval, approval_id)
    if approval is not None and approval.status in DECIDING:
        approval.status = "approved" if approval.status == "approving" else "denied"
        session.add(approval)


async def approvals_with_status(session: AsyncSession, *statuses: str) -> list[Approval]:
    result = await session.exec(
        select(Approval).where(col(Approval.status).in_(statuses)).order_by(col(Approval.id))
    )
    return list(result.all())
