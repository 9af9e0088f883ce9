"""Admin API for the outbox: dead letters (replies that could not be delivered) and retry."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import Field
from sqlmodel import col, select

from storage.models import Direction, Message
from switchboard.api.actors import AdminDep
from switchboard.api.deps import EngineDep, SessionDep
from switchboard.api.schemas import Public, Timestamp

router = APIRouter(prefix="/api/admin/outbox", tags=["admin"], dependencies=[AdminDep])


class OutboxMessage(Public):
    """A reply on its way to the customer, or one that could not be delivered."""

    id: int
    conversation_id: int
    channel: str
    status: str = Field(description="pending, sent or failed")
    attempts: int
    error: str | None = Field(description="The last delivery error.")
    created_at: Timestamp


class OutboxList(Public):
    messages: list[OutboxMessage] = Field(description="Newest first.")


class RetryQueued(Public):
    id: int
    status: str = Field(description="pending: it goes out again, in order.")


@router.get("")
async def list_outbox(session: SessionDep, status: str = "failed", limit: int = 100) -> OutboxList:
    rows = await session.exec(
        select(Message)
        .where(Message.direction == Direction.outbound, Message.status == status)
        .order_by(col(Message.id).desc())
        .limit(min(max(limit, 1), 500))
    )
    return OutboxList(
        messages=[
            OutboxMessage(
                id=m.id,
                conversation_id=m.conversation_id,
                channel=m.channel,
                status=m.status,
                attempts=m.attempts,
                error=m.error,
                created_at=m.created_at.isoformat(),
            )
            for m in rows.all()
        ]
    )


@router.post("/{outbox_id}/retry")
async def retry(outbox_id: int, engine: EngineDep) -> RetryQueued:
    try:
        status = await engine.retry_delivery(outbox_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    return RetryQueued(id=outbox_id, status=status)
