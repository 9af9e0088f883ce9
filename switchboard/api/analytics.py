"""The analytics page (`/admin/analytics`) and the warehouse export
(`GET /api/admin/export/conversations`), both behind the admin token.

Access is the admin pages' shared sign-in (`switchboard/api/admin_auth.py`): bearer
token, or the cookie from the login form or a one-time `?token=` link. No token → 404.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from switchboard.api import admin_auth
from switchboard.api.analytics_page import analytics_page, login_page
from switchboard.api.deps import RuntimeDep
from switchboard.export import conversation_lines
from switchboard.report import Window, build_report
from switchboard.report_days import daily

PAGE = "/admin/analytics"
router = APIRouter(tags=["analytics"])
router.include_router(admin_auth.router)  # /admin/login and /admin/logout, shared


@router.get(PAGE, include_in_schema=False)
async def analytics(
    request: Request,
    runtime: RuntimeDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    token: Annotated[str | None, Query()] = None,
    authorization: Annotated[str | None, Header()] = None,
    switchboard_admin: Annotated[str | None, Cookie()] = None,
) -> Response:
    configured = admin_auth.configured_token(runtime)
    if token is not None:  # trade the token in the address for a cookie, then drop it
        if not admin_auth.token_matches(runtime, token):
            return HTMLResponse(
                login_page("That token is not right.", next_path=PAGE), status_code=401
            )
        query = urlencode({"days": days, **({"channel": channel} if channel else {})})
        redirect = RedirectResponse(f"{PAGE}?{query}", status_code=303)
        return admin_auth.with_cookie(redirect, request, configured)
    if not admin_auth.is_authorised(runtime, authorization, switchboard_admin):
        return HTMLResponse(login_page(next_path=PAGE), status_code=401)
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    window = Window(
        since=today - timedelta(days=days - 1),
        until=now + timedelta(seconds=1),
        channel=channel or None,
        low_confidence=runtime.policy.classifier.threshold,
    )
    async with runtime.db.connect() as conn:
        figures = await build_report(conn, window)
        per_day = await daily(conn, window)
    return HTMLResponse(analytics_page(figures, per_day, window_days=days, channel=channel))


@router.get("/api/admin/export/conversations", tags=["admin"])
async def export_conversations(
    runtime: RuntimeDep,
    since: Annotated[datetime | None, Query(description="Updated at or after (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Updated before (ISO 8601).")] = None,
    authorization: Annotated[str | None, Header()] = None,
    switchboard_admin: Annotated[str | None, Cookie()] = None,
) -> StreamingResponse:
    """NDJSON, one conversation a line (transcript, per-turn traces, handoffs, approvals,
    CSAT), streamed page by page: memory stays flat for any number of conversations."""
    if not admin_auth.is_authorised(runtime, authorization, switchboard_admin):
        raise HTTPException(401, "admin token missing or wrong")
    since, until = (_utc(since), _utc(until))

    async def lines() -> AsyncIterator[str]:
        async with runtime.db.connect() as conn:
            async for line in conversation_lines(conn, since=since, until=until):
                yield line

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="conversations.ndjson"'},
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
