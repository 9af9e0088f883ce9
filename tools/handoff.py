"""Handing a conversation to a person: human mode, a handoff record, a staff notice."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.conversations import set_mode
from storage.models import Handoff, Mode, StaffNotification
from storage.tickets import open_handoff, record_notification
from tools.base import Caller, tool


@tool("handoff.request", risk="write", public=True)
async def request_handoff(
    session: AsyncSession,
    caller: Caller,
    *,
    reason: str,
    summary: str,
    ticket_id: int | None = None,
) -> int:
    """Put the conversation in human mode so staff answer from now on, and notify them.
    Returns the handoff id."""
    await set_mode(session, caller.conversation_id, Mode.human)
    handoff, _ = await open_handoff(
        session,
        Handoff(
            conversation_id=caller.conversation_id,
            reason=reason,
            ticket_id=ticket_id,
            idempotency_key=caller.idempotency_key("handoff"),
        ),
    )
    await record_notification(
        session,
        StaffNotification(
            kind="handoff",
            conversation_id=caller.conversation_id,
            ticket_id=ticket_id,
            text=summary,
            idempotency_key=caller.idempotency_key("notify:handoff"),
        ),
    )
    assert handoff.id is not None
    return handoff.id
