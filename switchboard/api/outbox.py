"""Admin API for the outbox: dead letters (replies that could not be delivered) and retry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlmodel import col, select

from storage.models import Direction, Message
from switchboard.api.actors import AdminDep
from switchboard.api.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/admin/outbox", tags=["admin"], dependencies=[AdminDep])


@router.get("")
async def list_outbox(
    session: SessionDep, status: str = "failed", limit: int = 100
) -> dict[str, Any]:
    rows = await session.exec(
        select(Message)
        .where(Message.direction == Direction.outbound, Message.status == status)
        .order_by(col(Message.id).desc())
        .limit(min(max(limit, 1), 500))
    )
    return {
        "messages": [
            {
                "id": m.id,
                "conversation_id": m.conversation_id,
                "channel": m.channel,
                "status": m.status,
                "attempts": m.attempts,
                "error": m.error,
                "created_at": m.created_at.isoformat(),
            }
            for m in rows.all()
        ]
    }


@router.post("/{outbox_id}/retry")
async def retry(outbox_id: int, runtime: RuntimeDep) -> dict[str, Any]:
    try:
        status = await runtime.engine.retry_delivery(outbox_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"id": outbox_id, "status": status}
