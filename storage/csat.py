"""Customer satisfaction: one 1-5 rating per conversation, the first answer wins."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import CsatResponse
from storage.webhooks import queue_event


async def csat_for_conversation(session: AsyncSession, conversation_id: int) -> CsatResponse | None:
    result = await session.exec(
        select(CsatResponse).where(CsatResponse.conversation_id == conversation_id)
    )
    return result.first()


async def record_csat(
    session: AsyncSession, *, conversation_id: int, score: int, comment: str | None = None
) -> tuple[CsatResponse, bool]:
    """Store the rating; a second one for the same conversation returns the first."""
    if not 1 <= score <= 5:
        raise ValueError("score must be between 1 and 5")
    existing = await csat_for_conversation(session, conversation_id)
    if existing is not None:
        return existing, False
    row = CsatResponse(conversation_id=conversation_id, score=score, comment=comment)
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        found = await csat_for_conversation(session, conversation_id)
        assert found is not None
        return found, False
    await _queue_received(session, row, "rating")
    return row, True


async def add_comment(session: AsyncSession, row: CsatResponse, comment: str) -> bool:
    """The customer's comment on their rating, once; False when it has one already."""
    if row.comment:
        return False
    row.comment = comment
    session.add(row)
    await _queue_received(session, row, "comment")
    return True


async def _queue_received(session: AsyncSession, row: CsatResponse, part: str) -> None:
    """csat.received, at the rating and again with the comment the customer adds."""
    await queue_event(
        session,
        "csat.received",
        f"csat:{row.conversation_id}:{part}",
        conversation_id=row.conversation_id,
        csat={"rating": row.score, "comment": row.comment},
    )
