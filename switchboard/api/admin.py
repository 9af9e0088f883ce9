"""Admin API (bearer `SWITCHBOARD_ADMIN_TOKEN` or a staff session): transcripts with
traces, staff notes and who wrote each staff message, a conversation as a test scenario,
tickets."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from storage import customers, link_codes, messages, tickets, traces
from storage.corrections import corrections_for_conversation
from storage.csat import csat_for_conversation
from storage.models import Conversation, IntentCorrection, Message, Ticket, Trace
from storage.staff_accounts import notes_for
from storage.tickets import ticket_fields
from switchboard.api.actors import AdminDep
from switchboard.api.deps import PolicyDep, SessionDep, SettingsDep, WriteSessionDep
from switchboard.api.schemas import (
    ConversationDetail,
    ConversationSummary,
    CsatPublic,
    LinkCode,
    NotePublic,
    TicketList,
    TicketPublic,
    TranscriptMessage,
    TurnLabel,
    TurnTrace,
)

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[AdminDep])


def _ticket(ticket: Ticket) -> TicketPublic:
    return TicketPublic(
        **ticket_fields(ticket),
        conversation_id=ticket.conversation_id,
        created_at=ticket.created_at.isoformat(),
    )


def _correction(correction: IntentCorrection) -> TurnLabel:
    return TurnLabel(
        intent=correction.intent,
        labelled_by=correction.labelled_by,
        source=correction.source,
        updated_at=correction.updated_at.isoformat(),
    )


def _message(m: Message) -> TranscriptMessage:
    return TranscriptMessage(
        id=m.id,
        direction=str(m.direction),
        role=str(m.role),
        author=m.author,
        text=m.text,
        attachments=m.attachments,
        language=m.language,
        status=m.status,
        created_at=m.created_at.isoformat(),
    )


def _trace(t: Trace, label: IntentCorrection | None) -> TurnTrace:
    return TurnTrace(
        id=t.id,
        message_id=t.message_id,
        intent=t.intent,
        confidence=t.confidence,
        route=t.route,
        entities=t.entities.get("names", []),
        node_path=t.node_path,
        node_ms=t.node_ms,
        tools=t.tools,
        total_ms=t.total_ms,
        llm=t.llm,
        tool_calls=t.tool_calls,
        tokens=t.tokens,
        cost_usd=t.cost_usd,
        dialogue=t.entities.get("dialogue") or {},
        policy_version=t.policy_version,
        language=t.language,
        steps=t.steps,
        correction=_correction(label) if label else None,
    )


@router.get("/conversations/{conversation_id}")
async def get_conversation(conversation_id: int, session: SessionDep) -> ConversationDetail:
    """The transcript, each turn's trace (with any label), tickets, the rating, notes."""
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise HTTPException(404, f"conversation {conversation_id} not found")
    customer = (
        await customers.get_customer(session, conversation.customer_id)
        if conversation.customer_id
        else None
    )
    rows = await messages.transcript(session, conversation_id)
    turns = await traces.traces_for_conversation(session, conversation_id)
    rating = await csat_for_conversation(session, conversation_id)
    labels = await corrections_for_conversation(session, conversation_id)
    return ConversationDetail(
        conversation=ConversationSummary(
            id=conversation.id,
            channel=conversation.channel,
            mode=str(conversation.mode),
            assignee=conversation.assignee,
            customer=customer.user_id if customer else None,
            language=conversation.language,
            created_at=conversation.created_at.isoformat(),
        ),
        messages=[_message(m) for m in rows],
        traces=[_trace(t, labels.get(t.id) if t.id is not None else None) for t in turns],
        tickets=[
            _ticket(t) for t in await tickets.tickets_for_conversation(session, conversation_id)
        ],
        csat=CsatPublic(score=rating.score, comment=rating.comment) if rating else None,
        notes=[
            NotePublic(id=n.id, author=n.author, text=n.text, created_at=n.created_at.isoformat())
            for n in await notes_for(session, conversation_id)
        ],
    )


@router.get(
    "/conversations/{conversation_id}/scenario",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}}},
)
async def get_conversation_scenario(
    conversation_id: int, session: SessionDep, policy: PolicyDep, settings: SettingsDep
) -> Response:
    """The conversation as a `switchboard eval` scenario (YAML, a download): each customer
    message a turn expecting what it met, as `switchboard eval capture ID` writes it."""
    # Imported here: the scenarios package runs scenarios through the app, which imports us.
    from switchboard.scenarios.capture import (
        ConversationNotFound,
        NothingToReplay,
        ReplayTarget,
        capture_scenario,
    )

    target = ReplayTarget.for_policy(policy, settings.policy_path)
    try:
        scenario = await capture_scenario(session, conversation_id, target)
    except ConversationNotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except NothingToReplay as exc:
        raise HTTPException(409, str(exc)) from None
    filename = f"conversation-{conversation_id}.yaml"
    return Response(
        scenario,
        media_type="application/yaml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/tickets")
async def list_tickets(session: SessionDep, customer: str) -> TicketList:
    found = await customers.get_customer_by_user_id(session, customer)
    if found is None or found.id is None:
        raise HTTPException(404, f"no customer with user id {customer!r}")
    return TicketList(
        tickets=[_ticket(t) for t in await tickets.tickets_for_customer(session, found.id)]
    )


@router.post("/customers/{user_id}/link-codes", status_code=201)
async def issue_link_code(user_id: str, session: WriteSessionDep) -> LinkCode:
    """A one-time code the customer sends to the bot (`/link <code>` on Telegram); your
    site can show it to a signed-in customer. Valid 30 minutes, single use."""
    customer = await customers.get_customer_by_user_id(session, user_id)
    if customer is None:
        raise HTTPException(404, f"no customer with user id {user_id!r}")
    code, expires_at = await link_codes.issue_link_code(session, customer)
    await session.commit()
    return LinkCode(code=code, expires_at=expires_at.isoformat())
