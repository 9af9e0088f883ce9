"""A turn's replies as outbox rows and as what the request that waits for them gets."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bots.base import Reply
from graph.runner import TurnOutcome
from storage.models import Message
from switchboard.engine.delivery import Outbox


def reply_of(row: Message) -> Reply:
    return Reply(row.id, row.text, tuple(row.quick_replies), str(row.role))  # type: ignore[arg-type]


async def queue_replies(
    outbox: Outbox,
    session: AsyncSession,
    conversation_id: int,
    channel: str,
    outcome: TurnOutcome,
    *,
    reply_to: int | None = None,
) -> list[Message]:
    """The outbox rows for a turn's replies, in the caller's transaction."""
    return [
        await outbox.queue(
            session,
            conversation_id=conversation_id,
            channel=channel,
            text=reply["text"],
            quick_replies=list(reply.get("quick_replies") or []),
            reply_to_id=reply_to,
        )
        for reply in outcome.replies
    ]
