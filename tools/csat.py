"""Customer satisfaction: the conversation's 1-5 rating and optional comment.

Public (anonymous visitors rate too) and keyed by the conversation the engine injected,
so a rating can only ever land on the conversation it was given in. Idempotent: the first
rating wins, a repeated call changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.csat import add_comment, csat_for_conversation, record_csat
from tools.base import Caller, ToolError, tool


@dataclass(frozen=True)
class CsatInfo:
    score: int
    comment: str | None
    created: bool


@tool("csat.record", risk="write", public=True)
async def record(
    session: AsyncSession, caller: Caller, *, score: int | None = None, comment: str | None = None
) -> CsatInfo:
    """Store this conversation's satisfaction rating (1-5), or add a comment to it."""
    if score is not None:
        row, created = await record_csat(
            session, conversation_id=caller.conversation_id, score=score, comment=comment
        )
        return CsatInfo(row.score, row.comment, created)
    rated = await csat_for_conversation(session, caller.conversation_id)
    if rated is None:
        raise ToolError("a comment needs a rating first")
    if comment:
        await add_comment(session, rated, comment)
    return CsatInfo(rated.score, rated.comment, False)
