"""Asking a person to approve a sensitive tool call."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.approvals import request_approval
from storage.models import Approval, StaffNotification
from storage.tickets import record_notification
from tools.base import Caller, tool


@tool("approvals.request", risk="write")
async def request(
    session: AsyncSession,
    caller: Caller,
    *,
    tool_name: str,
    arguments: dict[str, Any],
    summary: str,
) -> int:
    """Ask staff to approve a sensitive action for this customer (a refund, a plan change).
    Returns the approval id; the action runs only after a permitted person approves it.
    Called through `ToolBox.request_approval`, which checks the tool is sensitive."""
    approval, _ = await request_approval(
        session,
        Approval(
            conversation_id=caller.conversation_id,
            message_id=caller.message_id,
            tool=tool_name,
            arguments=arguments,
            summary=summary[:500],
            idempotency_key=caller.idempotency_key(f"approval:{tool_name}"),
        ),
    )
    assert approval.id is not None
    await record_notification(
        session,
        StaffNotification(
            kind="approval",
            conversation_id=caller.conversation_id,
            approval_id=approval.id,
            text=f"Approval needed: {summary[:400]}",
            idempotency_key=f"approval:{approval.id}:notify",
        ),
    )
    return approval.id
