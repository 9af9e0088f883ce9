"""Admin API for approvals: list what waits, decide (the same path Slack buttons use)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from storage.approvals import approvals_with_status
from storage.models import Approval
from switchboard.api.actors import AdminDep, ApproverDep
from switchboard.api.deps import EngineDep, SessionDep
from switchboard.api.schemas import Public, Timestamp

router = APIRouter(prefix="/api/admin/approvals", tags=["admin"], dependencies=[AdminDep])


class Decision(BaseModel):
    decision: Literal["approve", "deny"]
    decided_by: str = Field("admin-api", min_length=1, max_length=128)
    """With the admin token: who decided (a signed-in approver is recorded by name)."""


class ApprovalPublic(Public):
    """A sensitive action (a refund) waiting for, or given, a person's decision."""

    id: int
    conversation_id: int
    tool: str
    arguments: dict[str, Any] = Field(description="What the tool would be called with.")
    summary: str
    status: str = Field(description="pending, approved or denied")
    decided_by: str | None
    created_at: Timestamp


class ApprovalList(Public):
    approvals: list[ApprovalPublic]


class ApprovalDecided(Public):
    id: int
    status: str = Field(description="approved or denied")
    decided_by: str | None


def _approval(approval: Approval) -> ApprovalPublic:
    return ApprovalPublic(
        id=approval.id,
        conversation_id=approval.conversation_id,
        tool=approval.tool,
        arguments=approval.arguments,
        summary=approval.summary,
        status=approval.status,
        decided_by=approval.decided_by,
        created_at=approval.created_at.isoformat(),
    )


@router.get("")
async def list_approvals(session: SessionDep, status: str = "pending") -> ApprovalList:
    return ApprovalList(
        approvals=[_approval(a) for a in await approvals_with_status(session, status)]
    )


@router.post("/{approval_id}")
async def decide(
    approval_id: int, body: Decision, engine: EngineDep, actor: ApproverDep
) -> ApprovalDecided:
    """Only approvers (and admins, and the admin token) decide."""
    decided_by = body.decided_by if actor.account is None else actor.label
    try:
        outcome = await engine.decide_approval(
            approval_id, approved=body.decision == "approve", decided_by=decided_by
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    if not outcome.applied:
        raise HTTPException(
            409,
            f"approval {approval_id} was already decided ({outcome.status} by {outcome.decided_by})",
        )
    return ApprovalDecided(id=approval_id, status=outcome.status, decided_by=outcome.decided_by)
