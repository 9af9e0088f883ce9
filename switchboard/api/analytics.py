"""The analytics page (`/admin/analytics`, any signed-in staff) and the warehouse export
(`GET /api/admin/export/conversations`, admins and the admin token only).

Access is the admin pages' shared sign-in (`actors.py`, `admin_auth.py`): a staff
session, the bearer token, or the cookie from the login form or a one-time `?token=`
link. No token and no staff account → 404.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from switchboard.api import admin_auth
from switchboard.api.actors import AdminRoleDep, page_actor
from switchboard.api.analytics_page import analytics_page
from switchboard.api.deps import DatabaseDep, PolicyDep, SessionsDep, SettingsDep
from switchboard.reports.days import daily
from switchboard.reports.export import conversation_lines
from switchboard.reports.report import Window, build_report

PAGE = "/admin/analytics"


class NdjsonResponse(StreamingResponse):
    """Declared so /docs shows the export's media type."""

    media_type = "application/x-ndjson"


router = APIRouter(tags=["analytics"])
router.include_router(admin_auth.router)  # /admin/login and /admin/logout, shared


@router.get(PAGE, include_in_schema=False)
async def analytics(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    policy: PolicyDep,
    db: DatabaseDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    token: Annotated[str | None, Query()] = None,
) -> Response:
    actor = await page_actor(
        request, settings, sessions, token
    )  # `?token=` → cookie, then redirect
    if isinstance(actor, Response):
        return actor
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    window = Window(
        since=today - timedelta(days=days - 1),
        until=now + timedelta(seconds=1),
        channel=channel or None,
        low_confidence=policy.classifier.threshold,
    )
    async with db.connect() as conn:
        figures = await build_report(conn, window)
        per_day = await daily(conn, window)
    return HTMLResponse(analytics_page(figures, per_day, window_days=days, channel=channel))


@router.get("/api/admin/export/conversations", tags=["admin"], response_class=NdjsonResponse)
async def export_conversations(
    db: DatabaseDep,
    _: AdminRoleDep,
    since: Annotated[datetime | None, Query(description="Updated at or after (ISO 8601).")] = None,
    until: Annotated[datetime | None, Query(description="Updated before (ISO 8601).")] = None,
) -> StreamingResponse:
    """NDJSON, one conversation a line (transcript, per-turn traces, handoffs, approvals,
    CSAT), streamed page by page: memory stays flat for any number of conversations.
    Admins only (and the admin token)."""
    since, until = (_utc(since), _utc(until))

    async def lines() -> AsyncIterator[str]:
        async with db.connect() as conn:
            async for line in conversation_lines(conn, since=since, until=until):
                yield line

    return NdjsonResponse(
        lines(),
        headers={"Content-Disposition": 'attachment; filename="conversations.ndjson"'},
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
