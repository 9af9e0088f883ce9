"""Staff notifications. Recorded here first (durable), delivered to Slack by the engine."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import StaffNotification
from storage.tickets import record_notification
from tools.base import Caller, tool


@tool("notify.staff", risk="write", public=True)
async def notify_staff(
    session: AsyncSession,
    caller: Caller,
    *,
    kind: str,
    text: str,
    ticket_id: int | None = None,
) -> int:
    """Tell the support team about this conversation (a high-priority ticket, a handoff).
    Returns the notification id; the same notice in the same turn is recorded once."""
    notification, _ = await record_notification(
        session,
        StaffNotification(
            kind=kind,
            conversation_id=caller.conversation_id,
            ticket_id=ticket_id,
            text=text,
            idempotency_key=caller.idempotency_key(f"notify:{kind}"),
        ),
    )
    assert notification.id is not None
    return notification.id
