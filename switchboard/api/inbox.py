"""The staff inbox in the console: `/admin/inbox` (open handoffs, longest waiting first),
the staff actions posted from a conversation's page, and `/admin/events`, the
server-sent-events stream that keeps open pages live.

Actions go through `switchboard.desk.handoffs.HandoffDesk`, as Slack and the admin API do;
forms carry the form token and pass the origin check (`actors.check_form_post`).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from switchboard.api import console_data
from switchboard.api.actors import check_form_post, find_actor, page_actor
from switchboard.api.console_page import flash_box
from switchboard.api.deps import ConsoleEventsDep, HandoffsDep, SessionsDep, SettingsDep
from switchboard.api.inbox_data import open_handoffs
from switchboard.api.inbox_page import inbox_page
from switchboard.desk.handoffs import MAX_TEXT, ConversationClosed

router = APIRouter(tags=["admin console"], include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2**62)]
Flash = Annotated[str | None, Query(max_length=200)]
Action = Literal["take", "messages", "notes", "resolve", "return"]


@router.get("/admin/inbox")
async def inbox(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    done: Flash = None,
    failed: Flash = None,
    token: Annotated[str | None, Query(max_length=128)] = None,
) -> Response:
    actor = await page_actor(request, settings, sessions, token)
    if isinstance(actor, Response):
        return actor
    async with sessions() as session:
        waiting = await open_handoffs(session)
        counts = await console_data.counts(session)
    flash = flash_box(done) if done else flash_box(failed, ok=False)
    return HTMLResponse(inbox_page(waiting, counts=counts, flash=flash))


@router.get("/admin/events")
async def events(
    request: Request, settings: SettingsDep, sessions: SessionsDep, console: ConsoleEventsDep
) -> Response:
    """`event: changed` + the conversation id, whenever one changes (a turn, a relayed
    message, a staff action in Slack or here)."""
    if await find_actor(request, settings, sessions) is None:
        raise HTTPException(401, "sign in to the console first")
    return StreamingResponse(
        console.stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/admin/conversations/{conversation_id}/{action}")
async def act(
    conversation_id: Id,
    action: Action,
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    desk: HandoffsDep,
) -> Response:
    posted = await check_form_post(request, settings, sessions)
    if isinstance(posted, Response):
        return posted
    form, actor = posted
    member = actor.member
    text = form.get("text", "").strip()
    if action in ("messages", "notes") and not text:
        raise HTTPException(422, "text: must not be blank")
    if len(text) > MAX_TEXT:
        raise HTTPException(422, f"text: at most {MAX_TEXT} characters")
    try:
        if action == "take":
            ok = await desk.take(conversation_id, member, "console")
            result = (
                "You have it now." if ok else "Someone else has it, or it is back with the bot."
            )
        elif action == "messages":
            await desk.reply(conversation_id, member, text, "console")
            ok, result = True, "Sent to the customer."
        elif action == "notes":
            await desk.note(conversation_id, member, text, "console")
            ok, result = True, "Note added."
        else:
            resolved = action == "resolve"
            ok = await desk.hand_back(conversation_id, member, resolved=resolved, source="console")
            result = (
                ("Resolved; the customer was told." if resolved else "Back with the bot.")
                if ok
                else "It was back with the bot already."
            )
    except ConversationClosed as exc:
        ok, result = False, str(exc)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    query = urlencode({"done" if ok else "failed": result})
    return RedirectResponse(f"/admin/conversations/{conversation_id}?{query}", status_code=303)
