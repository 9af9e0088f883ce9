"""Admin API for intent corrections: label a turn with the right intent, list the labels.

The same record the Slack handoff card's "Correct intent" menu makes; `switchboard
intents retrain` folds them into the model.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from storage.corrections import (
    NothingToLearn,
    TurnNotFound,
    list_corrections,
    record_correction,
    remove_correction,
)
from storage.models import IntentCorrection, Trace
from switchboard.api.actors import AdminDep
from switchboard.api.deps import PolicyDep, SessionDep, WriteSessionDep
from switchboard.api.schemas import Public, Timestamp

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[AdminDep])


class Label(BaseModel):
    intent: str = Field(min_length=1, max_length=64)
    labelled_by: str = Field("admin-api", min_length=1, max_length=128)


class ModelGuess(Public):
    """What the classifier said at the time."""

    intent: str | None
    confidence: float | None


class CorrectionPublic(Public):
    id: int
    trace_id: int
    conversation_id: int
    message_id: int
    text: str = Field(description="The customer's message.")
    intent: str = Field(description="The intent it should have been.")
    model: ModelGuess
    labelled_by: str
    source: str = Field(description="admin or slack")
    created_at: Timestamp
    updated_at: Timestamp


class Labelled(CorrectionPublic):
    changed: bool = Field(description="False when the turn had this label already.")


class CorrectionList(Public):
    corrections: list[CorrectionPublic] = Field(description="Newest first.")


def _public(correction: IntentCorrection, trace: Trace) -> CorrectionPublic:
    return CorrectionPublic(
        id=correction.id,
        trace_id=correction.trace_id,
        conversation_id=trace.conversation_id,
        message_id=trace.message_id,
        text=correction.text,
        intent=correction.intent,
        model=ModelGuess(intent=trace.intent, confidence=trace.confidence),
        labelled_by=correction.labelled_by,
        source=correction.source,
        created_at=correction.created_at.isoformat(),
        updated_at=correction.updated_at.isoformat(),
    )


@router.post("/turns/{trace_id}/label")
async def label_turn(
    trace_id: int, body: Label, policy: PolicyDep, session: WriteSessionDep
) -> Labelled:
    """Store the right intent for one turn (a trace id, as in the conversation's
    `traces`). Labelling it again replaces the label; the same label again changes
    nothing (`changed: false`)."""
    known = policy.intents
    if body.intent not in known:
        raise HTTPException(
            422, f"unknown intent {body.intent!r}: the policy has {', '.join(sorted(known))}"
        )
    try:
        labelled = await record_correction(
            session,
            trace_id=trace_id,
            intent=body.intent,
            labelled_by=body.labelled_by,
            source="admin",
        )
    except TurnNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except NothingToLearn as exc:
        raise HTTPException(409, str(exc)) from None
    await session.commit()
    stored = _public(labelled.correction, labelled.trace)
    return Labelled(**stored.model_dump(), changed=labelled.changed)


@router.delete("/turns/{trace_id}/label", status_code=204)
async def unlabel_turn(trace_id: int, session: WriteSessionDep) -> None:
    """Take a turn's label back (it leaves the training data at the next retrain/start)."""
    if not await remove_correction(session, trace_id):
        raise HTTPException(404, f"turn {trace_id} has no label")
    await session.commit()


@router.get("/corrections")
async def get_corrections(
    session: SessionDep,
    limit: int = Query(100, ge=1, le=1000),
    before: int | None = Query(None, ge=1, description="Only corrections older than this id."),
) -> CorrectionList:
    """Newest first; page with `before=<the last id you got>`."""
    rows = await list_corrections(session, limit=limit, before_id=before)
    return CorrectionList(corrections=[_public(c, t) for c, t in rows])
