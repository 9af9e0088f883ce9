"""Admin API for handoffs: what waits for a person, and the staff actions on it.

The same actions as the Slack desk and the console (`switchboard.desk.handoffs`): a reply
posted here reaches the customer on their channel once, and shows in the Slack thread.
Callers are a staff session (the console's cookie) or the admin token; with the token,
`staff` in the body names who acts (default "admin API").
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, Field, field_validator

from storage.models import Conversation, Message
from switchboard.api.actors import Actor, ActorDep
from switchboard.api.deps import HandoffsDep, SessionDep, Sessions, SessionsDep
from switchboard.api.inbox_data import OpenHandoff, open_handoffs
from switchboard.api.schemas import Public, Timestamp
from switchboard.desk.handoffs import MAX_TEXT, ConversationClosed, HandoffDesk, StaffMember

router = APIRouter(prefix="/api/admin", tags=["admin"])
Id = Annotated[int, Path(ge=1, le=2**62)]
Status = Literal["open", "waiting", "taken"]


class Acting(BaseModel):
    staff: str | None = Field(None, min_length=1, max_length=128)
    """With the admin token: the name to act as (a staff session acts as itself)."""


class Text(Acting):
    text: str = Field(min_length=1, max_length=MAX_TEXT)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class HandoffPublic(Public):
    """A conversation with staff, or waiting for them."""

    handoff_id: int
    conversation_id: int
    channel: str
    customer: str | None = Field(description="The customer's user id, when known.")
    reason: str
    ticket: str | None = Field(description="The handoff's ticket number.")
    assignee: str | None = Field(description="Who has taken it; null while it waits.")
    waiting_since: Timestamp
    waiting_s: float = Field(description="Seconds since the handoff opened.")
    customer_messages: int = Field(description="Customer messages since it opened.")
    last_customer_text: str | None


class HandoffList(Public):
    handoffs: list[HandoffPublic] = Field(description="Waiting longest first.")


class Taken(Public):
    conversation_id: int
    assignee: str


class MessageSent(Public):
    message_id: int = Field(description="The outbox message's id.")
    status: str = Field(description="Its delivery status (pending, sent, failed).")


class NoteAdded(Public):
    note_id: int


class HandedBack(Public):
    conversation_id: int
    mode: Literal["bot"]


def _member(actor: Actor, body: Acting | None) -> StaffMember:
    if actor.account is None and body is not None and body.staff:
        return StaffMember(body.staff, body.staff)
    return actor.member


def _iso(moment: datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


@router.get("/handoffs")
async def list_handoffs(
    session: SessionDep,
    actor: ActorDep,
    status: Annotated[Status, Query()] = "open",
) -> HandoffList:
    """Handoffs with staff, waiting longest first: `open` (all), `waiting` (nobody has
    taken it), `taken`."""
    rows = await open_handoffs(session)
    if status == "waiting":
        rows = [r for r in rows if not r.assignee]
    elif status == "taken":
        rows = [r for r in rows if r.assignee]
    return HandoffList(handoffs=[_handoff(r) for r in rows])


def _handoff(r: OpenHandoff) -> HandoffPublic:
    return HandoffPublic(
        handoff_id=r.handoff_id,
        conversation_id=r.conversation_id,
        channel=r.channel,
        customer=r.customer,
        reason=r.reason,
        ticket=r.ticket,
        assignee=r.assignee,
        waiting_since=_iso(r.waiting_since),
        waiting_s=round(r.waiting_s, 1),
        customer_messages=r.customer_messages,
        last_customer_text=r.last_customer_text,
    )


async def _conversation(sessions: Sessions, conversation_id: int) -> Conversation:
    async with sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise HTTPException(404, f"conversation {conversation_id} not found")
    return conversation


@router.post("/conversations/{conversation_id}/take")
async def take(
    conversation_id: Id,
    sessions: SessionsDep,
    handoffs: HandoffsDep,
    actor: ActorDep,
    body: Acting | None = None,
) -> Taken:
    member = _member(actor, body)
    await _conversation(sessions, conversation_id)
    if not await handoffs.take(conversation_id, member, "api"):
        conversation = await _conversation(sessions, conversation_id)
        if conversation.assignee:
            raise HTTPException(409, f"already taken by {conversation.assignee}")
        raise HTTPException(409, f"conversation {conversation_id} is not waiting for staff")
    return Taken(conversation_id=conversation_id, assignee=member.key)


@router.post("/conversations/{conversation_id}/messages", status_code=201)
async def send_message(
    conversation_id: Id, body: Text, sessions: SessionsDep, handoffs: HandoffsDep, actor: ActorDep
) -> MessageSent:
    """Reply to the customer on their channel (taking an untaken handoff first)."""
    try:
        outbox_id = await handoffs.reply(conversation_id, _member(actor, body), body.text, "api")
    except ConversationClosed as exc:
        raise HTTPException(409, str(exc)) from None
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    async with sessions() as session:
        sent = await session.get(Message, outbox_id)
    return MessageSent(message_id=outbox_id, status=sent.status if sent else "unknown")


@router.post("/conversations/{conversation_id}/notes", status_code=201)
async def add_note(
    conversation_id: Id, body: Text, handoffs: HandoffsDep, actor: ActorDep
) -> NoteAdded:
    """An internal note: staff see it here, in the console and in Slack; never sent."""
    try:
        note_id = await handoffs.note(conversation_id, _member(actor, body), body.text, "api")
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    return NoteAdded(note_id=note_id)


async def _hand_back(
    handoffs: HandoffDesk,
    actor: Actor,
    conversation_id: int,
    body: Acting | None,
    *,
    resolved: bool,
) -> HandedBack:
    try:
        changed = await handoffs.hand_back(
            conversation_id, _member(actor, body), resolved=resolved, source="api"
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    if not changed:
        raise HTTPException(409, f"conversation {conversation_id} is not with staff")
    return HandedBack(conversation_id=conversation_id, mode="bot")


@router.post("/conversations/{conversation_id}/resolve")
async def resolve(
    conversation_id: Id, handoffs: HandoffsDep, actor: ActorDep, body: Acting | None = None
) -> HandedBack:
    """Resolved: the customer is told, asked for a rating, and the bot answers again."""
    return await _hand_back(handoffs, actor, conversation_id, body, resolved=True)


@router.post("/conversations/{conversation_id}/return")
async def return_to_bot(
    conversation_id: Id, handoffs: HandoffsDep, actor: ActorDep, body: Acting | None = None
) -> HandedBack:
    """Back to the bot without resolving (the handoff's ticket stays open)."""
    return await _hand_back(handoffs, actor, conversation_id, body, resolved=False)
