"""The admin console at `/admin`: conversations (filter by mode, channel, intent, date,
customer), a transcript with each turn's trace, tickets, approvals waiting with
Approve/Deny, dead letters with Retry, and the policy's workflows drawn as SVG.

Server-rendered HTML behind the shared admin sign-in (`admin_auth`). It reads through the
console's queries and acts through the engine, exactly as the JSON admin API and the Slack
buttons do, so a decision taken here is the same, recorded-once decision. Posts are plain
forms, guarded by the SameSite=Strict cookie, a form token and an origin check; the only
script re-reads a page's live parts when `/admin/events` says so (`inbox_page.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storage.models import Direction, StaffRole
from storage.staff_accounts import notes_for
from switchboard.api import admin_auth, console_data
from switchboard.api.actors import Actor, check_form_post, form_token_for, page_actor
from switchboard.api.console_data import ConversationFilter
from switchboard.api.console_page import (
    approvals_page,
    conversations_page,
    dead_letters_page,
    flash_box,
    tickets_page,
)
from switchboard.api.console_transcript import conversation_page
from switchboard.api.deps import (
    EngineDep,
    PolicyDep,
    Sessions,
    SessionsDep,
    SettingsDep,
    TranslatorDep,
)
from switchboard.api.inbox_page import LIVE_SCRIPT, staff_panel
from switchboard.api.workflows_page import workflows_page
from switchboard.desk.translations import Original
from switchboard.settings import Settings

router = APIRouter(tags=["admin console"], include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Key = Annotated[int | None, Query(ge=1, le=2**62)]
Short = Annotated[str | None, Query(max_length=128)]
Flash = Annotated[str | None, Query(max_length=200)]
MODES = ("bot", "human", "closed")


def _day(value: str | None, name: str) -> date | None:
    """Empty form fields mean "no filter"; anything else must be a calendar date."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise HTTPException(422, f"{name}: expected a date like 2025-01-31") from None


def _flash(done: str | None, failed: str | None) -> str:
    return flash_box(done) if done else flash_box(failed, ok=False)


async def _waiting_page(
    settings: Settings,
    sessions: Sessions,
    actor: Actor,
    load: Callable[..., Awaitable[Any]],
    render: Callable[..., str],
    cursor_name: str,
    cursor: int | None,
    done: str | None,
    failed: str | None,
) -> Response:
    """A page of what waits for staff (approvals, dead letters), paged by `cursor_name`,
    with the outcome of the last action."""
    async with sessions() as session:
        page = await load(session, **{cursor_name: cursor})
        counts = await console_data.counts(session)
    return HTMLResponse(
        render(
            page,
            form_token=form_token_for(actor, settings),
            counts=counts,
            params={cursor_name: str(cursor)} if cursor else {},
            flash=_flash(done, failed),
        )
    )


@router.get("/admin")
async def conversations(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    policy: PolicyDep,
    mode: Short = None,
    channel: Short = None,
    intent: Short = None,
    since: Short = None,
    until: Short = None,
    customer: Short = None,
    before: Key = None,
    token: Short = None,
) -> Response:
    actor = await page_actor(request, settings, sessions, token)
    if isinstance(actor, Response):
        return actor
    if mode and mode not in MODES:
        raise HTTPException(422, f"mode: expected one of {', '.join(MODES)}")
    where = ConversationFilter(
        mode=mode or None,
        channel=channel or None,
        intent=intent or None,
        since=_day(since, "since"),
        until=_day(until, "until"),
        customer=customer or None,
    )
    async with sessions() as session:
        page = await console_data.list_conversations(session, where, before=before)
        known_channels = await console_data.channels(session)
        counts = await console_data.counts(session)
    html = conversations_page(
        page,
        where,
        channels=known_channels,
        intents=sorted(policy.intents),
        counts=counts,
        before=before,
    )
    return HTMLResponse(html)


@router.get("/admin/conversations/{conversation_id}")
async def conversation(
    conversation_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    translator: TranslatorDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    done: Flash = None,
    failed: Flash = None,
    token: Short = None,
) -> Response:
    actor = await page_actor(request, settings, sessions, token)
    if isinstance(actor, Response):
        return actor
    async with sessions() as session:
        detail = await console_data.conversation_detail(session, conversation_id, after=after)
        counts = await console_data.counts(session)
        notes = await notes_for(session, conversation_id)
    if detail is None:
        raise HTTPException(404, f"conversation {conversation_id} not found")
    form_token = form_token_for(actor, settings)
    translations = await translator.translations(
        [
            Original(m.id, m.text, m.language or detail["conversation"].language)
            for m in detail["messages"]
            if m.id is not None and m.direction == Direction.inbound
        ]
    )
    html = conversation_page(
        detail,
        translations=translations,
        form_token=form_token,
        counts=counts,
        after=after,
        flash=_flash(done, failed),
        staff_panel=staff_panel(
            detail["conversation"], notes, form_token=form_token, me=actor.label
        ),
        live_script=LIVE_SCRIPT,
    )
    return HTMLResponse(html)


@router.get("/admin/tickets")
async def tickets(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    status: Short = None,
    customer: Short = None,
    before: Key = None,
    token: Short = None,
) -> Response:
    actor = await page_actor(request, settings, sessions, token)
    if isinstance(actor, Response):
        return actor
    async with sessions() as session:
        page = await console_data.list_tickets(
            session, status=status or None, customer=customer or None, before=before
        )
        counts = await console_data.counts(session)
    params = {
        k: v for k, v in {"status": status, "customer": customer, "before": before}.items() if v
    }
    return HTMLResponse(
        tickets_page(
            page,
            status=status,
            customer=customer,
            counts=counts,
            params={k: str(v) for k, v in params.items()},
        )
    )


@router.get("/admin/approvals")
async def approvals(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    after: Key = None,
    done: Flash = None,
    failed: Flash = None,
    token: Short = None,
) -> Response:
    actor = await page_actor(request, settings, sessions, token)
    if isinstance(actor, Response):
        return actor
    load = console_data.pending_approvals
    return await _waiting_page(
        settings, sessions, actor, load, approvals_page, "after", after, done, failed
    )


@router.post("/admin/approvals/{approval_id}")
async def decide(
    approval_id: Id,
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    engine: EngineDep,
) -> Response:
    posted = await check_form_post(request, settings, sessions)
    if isinstance(posted, Response):
        return posted
    form, actor = posted
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        raise HTTPException(422, "decision: expected approve or deny")
    back = admin_auth.safe_next(form.get("back") or "/admin/approvals")
    if not actor.allows(StaffRole.approver):
        refused = {"failed": f"Only approvers decide approvals; {actor.label} is {actor.role}."}
        return RedirectResponse(f"{back}?{urlencode(refused)}", status_code=303)
    try:
        outcome = await engine.decide_approval(
            approval_id,
            approved=decision == "approve",
            decided_by="admin-console" if actor.account is None else actor.label,
        )
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    if outcome.applied:
        result = {"done": f"Approval {approval_id}: {outcome.status}."}
    else:
        result = {
            "failed": f"Approval {approval_id} was already decided "
            f"({outcome.status} by {outcome.decided_by})."
        }
    return RedirectResponse(f"{back}?{urlencode(result)}", status_code=303)


@router.get("/admin/dead-letters")
async def dead_letters(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    before: Key = None,
    done: Flash = None,
    failed: Flash = None,
    token: Short = None,
) -> Response:
    actor = await page_actor(request, settings, sessions, token)
    if isinstance(actor, Response):
        return actor
    load = console_data.dead_letters
    return await _waiting_page(
        settings, sessions, actor, load, dead_letters_page, "before", before, done, failed
    )


@router.get("/admin/workflows")
async def workflows(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    policy: PolicyDep,
    token: Short = None,
) -> Response:
    """The policy's intents and routes, each written workflow drawn (server-side SVG)."""
    actor = await page_actor(request, settings, sessions, token)
    if isinstance(actor, Response):
        return actor
    async with sessions() as session:
        counts = await console_data.counts(session)
    return HTMLResponse(workflows_page(policy, counts=counts))


@router.post("/admin/dead-letters/{outbox_id}/retry")
async def retry(
    outbox_id: Id,
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    engine: EngineDep,
) -> Response:
    posted = await check_form_post(request, settings, sessions)
    if isinstance(posted, Response):
        return posted
    try:
        status = await engine.retry_delivery(outbox_id)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    result = (
        {"done": f"Reply {outbox_id} delivered."}
        if status == "delivered"
        else {"failed": f"Reply {outbox_id} is {status} again."}
    )
    return RedirectResponse(f"/admin/dead-letters?{urlencode(result)}", status_code=303)
