"""Admin API for approvals: list what waits, decide (the same path Slack buttons use)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from storage.approvals import approvals_with_status
from storage.models import Approval
from switchboard.api.actors import AdminDep, ApproverDep
from switchboard.api.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/admin/approvals", tags=["admin"], dependencies=[AdminDep])


class Decision(BaseModel):
    decision: Literal["approve", "deny"]
    decided_by: str = Field("admin-api", min_length=1, max_length=128)
    """With the admin token: who decided (a signed-in approver is recorded by name)."""


def _approval(approval: Approval) -> dict[str, Any]:
    return {
        "id": approval.id,
        "conversation_id": approval.conversation_id,
        "tool": approval.tool,
        "arguments": approval.arguments,
        "summary": approval.summary,
        "status": approval.status,
        "decided_by": approval.decided_by,
        "created_at": approval.created_at.isoformat(),
    }


@router.get("")
async def list_approvals(session: SessionDep, status: str = "pending") -> dict[str, Any]:
    return {"approvals": [_approval(a) for a in await approvals_with_status(session, status)]}


@router.post("/{approval_id}")
async def decide(
    approval_id: int, body: Decision, runtime: RuntimeDep, actor: ApproverDep
) -> dict[str, Any]:
    """Only approvers (and admins, and the admin token) decide."""
    decided_by = body.decided_by if actor.account is None else actor.label
    try:
        outcome = await runtime.engine.decide_approval(
            approval_id, approved=body.decision == "approve", decided_by=decided_by
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    if not outcome.applied:
        raise HTTPException(
            409,
            f"approval {approval_id} was already decided ({outcome.status} by {outcome.decided_by})",
        )
    return {"id": approval_id, "status": outcome.status, "decided_by": outcome.decided_by}
