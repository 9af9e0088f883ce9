"""Intent corrections: a person's label for one turn, kept as training data.

One row per turn (trace): labelling a turn again updates its row, so a fix of a fix
leaves one example. The text is copied from the turn's inbound message, which holds it
as stored on the message path (PII masked). Which intents are valid is the policy's
business, checked by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.idempotent import insert_once
from storage.models import IntentCorrection, Message, Trace, utcnow
from storage.retention import ERASED

SOURCES = ("admin", "slack")


class TurnNotFound(LookupError):
    """No turn (trace) with this id: never existed, or pruned."""


class NothingToLearn(ValueError):
    """The turn's message has no text to learn from (attachment only, or erased)."""


@dataclass(frozen=True)
class Labelled:
    """A correction with what the model had said; `changed` is False when the turn
    already carried this label (a repeated click or request)."""

    correction: IntentCorrection
    trace: Trace
    changed: bool


async def record_correction(
    session: AsyncSession, *, trace_id: int, intent: str, labelled_by: str, source: str
) -> Labelled:
    """Store (or update) the label of one turn."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}")
    trace = await session.get(Trace, trace_id)
    if trace is None:
        raise TurnNotFound(f"turn {trace_id} not found")
    message = await session.get(Message, trace.message_id)
    text = message.text.strip() if message is not None else ""
    if not text or text == ERASED:
        raise NothingToLearn(f"turn {trace_id} has no message text to learn from")
    row, created = await insert_once(
        session,
        IntentCorrection(
            trace_id=trace_id, text=text, intent=intent, labelled_by=labelled_by, source=source
        ),
        col(IntentCorrection.trace_id) == trace_id,
    )
    if created:
        return Labelled(row, trace, True)
    if row.intent == intent:
        return Labelled(row, trace, False)
    row.intent, row.labelled_by, row.source = intent, labelled_by, source
    row.updated_at = utcnow()
    session.add(row)
    await session.flush()
    return Labelled(row, trace, True)


async def remove_correction(session: AsyncSession, trace_id: int) -> bool:
    """Take a label back (a misclick); False when the turn had none."""
    result = await session.exec(
        delete(IntentCorrection).where(col(IntentCorrection.trace_id) == trace_id)
    )
    return bool(result.rowcount)


async def correction_for_trace(session: AsyncSession, trace_id: int) -> IntentCorrection | None:
    result = await session.exec(
        select(IntentCorrection).where(IntentCorrection.trace_id == trace_id)
    )
    return result.first()


async def corrections_for_conversation(
    session: AsyncSession, conversation_id: int
) -> dict[int, IntentCorrection]:
    """The conversation's corrections by trace id (the admin transcript shows them)."""
    result = await session.exec(
        select(IntentCorrection)
        .join(Trace, col(Trace.id) == col(IntentCorrection.trace_id))
        .where(Trace.conversation_id == conversation_id)
    )
    return {c.trace_id: c for c in result.all()}


async def list_corrections(
    session: AsyncSession, *, limit: int = 100, before_id: int | None = None
) -> list[tuple[IntentCorrection, Trace]]:
    """Newest first, with the turn each one corrects; `before_id` pages backwards."""
    query = select(IntentCorrection, Trace).join(
        Trace, col(Trace.id) == col(IntentCorrection.trace_id)
    )
    if before_id is not None:
        query = query.where(col(IntentCorrection.id) < before_id)
    result = await session.exec(query.order_by(col(IntentCorrection.id).desc()).limit(limit))
    return [(correction, trace) for correction, trace in result.all()]


async def training_pairs(session: AsyncSession) -> list[tuple[str, str]]:
    """Every correction as (text, intent), oldest label first: when two turns with the
    same text disagree, the later label comes last and wins (`dict(pairs)`). The order
    is stable, so the model trained from it has a stable cache key."""
    result = await session.exec(
        select(IntentCorrection.text, IntentCorrection.intent).order_by(
            col(IntentCorrection.updated_at), col(IntentCorrection.id)
        )
    )
    return [(text, intent) for text, intent in result.all()]
