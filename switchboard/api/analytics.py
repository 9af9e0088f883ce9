"""The analytics page (`/admin/analytics`) and the warehouse export
(`GET /api/admin/export/conversations`), both behind the admin token.

Access: `Authorization: Bearer <token>` (scripts), or a cookie set by the login form or
by opening `/admin/analytics?token=<token>` once (the page then redirects to drop the
token from the address bar and history). The cookie holds an HMAC of the token, never
the token itself; it is HttpOnly and SameSite=Strict. No token configured → 404.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Cookie, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from switchboard.api.analytics_page import analytics_page, login_page
from switchboard.api.deps import RuntimeDep
from switchboard.export import conversation_lines
from switchboard.report import Window, build_report
from switchboard.report_days import daily

COOKIE = "switchboard_admin"
router = APIRouter(tags=["analytics"])


def _cookie_value(token: str) -> str:
    return hmac.new(token.encode(), b"switchboard admin cookie", hashlib.sha256).hexdigest()


def _configured(runtime: Any) -> str:
    secret = runtime.settings.admin_token
    if secret is None:
        raise HTTPException(404, "admin API is off: set SWITCHBOARD_ADMIN_TOKEN to enable it")
    return str(secret.get_secret_value())


def _authorised(runtime: Any, authorization: str | None, cookie: str | None) -> bool:
    token = _configured(runtime)
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    return cookie is not None and hmac.compare_digest(
        cookie.encode(), _cookie_value(token).encode()
    )


def _with_cookie(response: Response, request: Request, token: str) -> Response:
    response.set_cookie(
        COOKIE,
        _cookie_value(token),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
        path="/",
    )
    return response


@router.get("/admin/analytics", include_in_schema=False)
async def analytics(
    request: Request,
    runtime: RuntimeDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    token: Annotated[str | None, Query()] = None,
    authorization: Annotated[str | None, Header()] = None,
    switchboard_admin: Annotated[str | None, Cookie()] = None,
) -> Response:
    configured = _configured(runtime)
    if token is not None:  # trade the token in the address for a cookie, then drop it
        if not hmac.compare_digest(token.encode(), configured.encode()):
            return HTMLResponse(login_page("That token is not right."), status_code=401)
        query = urlencode({"days": days, **({"channel": channel} if channel else {})})
        redirect = RedirectResponse(f"/admin/analytics?{query}", status_code=303)
        return _with_cookie(redirect, request, configured)
    if not _authorised(runtime, authorization, switchboard_admin):
        return HTMLResponse(login_page(), status_code=401)
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


@router.post("/admin/login", include_in_schema=False)
async def login(request: Request, runtime: RuntimeDep) -> Response:
    configured = _configured(runtime)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    given = (form.get("token") or [""])[0]
    if not hmac.compare_digest(given.encode(), configured.encode()):
        return HTMLResponse(login_page("That token is not right."), status_code=401)
    return _with_cookie(RedirectResponse("/admin/analytics", status_code=303), request, configured)


@router.post("/admin/logout", include_in_schema=False)
async def logout() -> Response:
    response = RedirectResponse("/admin/analytics", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


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
    if not _authorised(runtime, authorization, switchboard_admin):
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
