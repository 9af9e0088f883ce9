"""Sign-in for the admin pages (`/admin`, `/admin/analytics`): one cookie for all of them.

Staff sign in with their e-mail and password (`switchboard staff add`): the cookie
`switchboard_staff` holds a random session token (the database keeps its hash). The
admin token also works: `Authorization: Bearer <token>` (scripts), or a cookie set by the
login form or by opening any admin page with `?token=<token>` once (the page then
redirects to drop the token from the address bar and history); that cookie holds an
HMAC of the token, never the token itself. Both cookies are HttpOnly, SameSite=Strict and
Secure on https. No token and no staff account → 404 (`actors.py` decides who calls).

Forms that change something (approve, deny, retry) also carry a form token derived from
the admin token and are refused when the browser says they came from another origin:
SameSite=Strict already keeps the cookie off cross-site posts, this is the second lock.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storage.db import transaction
from storage.staff_accounts import SESSION_LIFETIME, check_password, close_session, open_session
from switchboard.api.analytics_page import login_page
from switchboard.api.deps import SessionsDep, SettingsDep

COOKIE = "switchboard_admin"
STAFF_COOKIE = "switchboard_staff"
router = APIRouter(tags=["admin pages"], include_in_schema=False)


def derived(token: str, purpose: bytes) -> str:
    return hmac.new(token.encode(), purpose, hashlib.sha256).hexdigest()


def cookie_value(token: str) -> str:
    return derived(token, b"switchboard admin cookie")


def form_token(token: str) -> str:
    """Hidden in every state-changing form; a page on another site cannot read it."""
    return derived(token, b"switchboard admin form")


def with_cookie(response: Response, request: Request, token: str) -> Response:
    response.set_cookie(
        COOKIE,
        cookie_value(token),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=12 * 3600,
        path="/",
    )
    return response


def safe_next(path: str | None) -> str:
    """Only our own admin pages: never an open redirect to another host."""
    if not path or not path.startswith("/admin") or path.startswith("//") or "\\" in path:
        return "/admin"
    return path


def same_origin(request: Request) -> bool:
    """A browser names the page a form came from; it must be ours (absent: not a browser)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", request.url.netloc)


async def read_form(request: Request) -> dict[str, str]:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {key: values[0] for key, values in form.items() if values}


def with_staff_cookie(response: Response, request: Request, session_token: str) -> Response:
    response.set_cookie(
        STAFF_COOKIE,
        session_token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path="/",
    )
    return response


@router.post("/admin/login")
async def login(request: Request, settings: SettingsDep, sessions: SessionsDep) -> Response:
    form = await read_form(request)
    target = safe_next(form.get("next"))
    if "email" in form or "password" in form:
        async with transaction(sessions) as session:
            account = await check_password(
                session, form.get("email", "")[:255], form.get("password", "")[:1024]
            )
            session_token = await open_session(session, account) if account else None
        if session_token is None:
            return HTMLResponse(
                login_page("That e-mail and password do not match.", next_path=target),
                status_code=401,
            )
        return with_staff_cookie(RedirectResponse(target, status_code=303), request, session_token)
    secret = settings.admin_token
    given = form.get("token", "").encode()
    if secret is None or not hmac.compare_digest(given, secret.get_secret_value().encode()):
        return HTMLResponse(
            login_page("That token is not right.", next_path=target), status_code=401
        )
    return with_cookie(
        RedirectResponse(target, status_code=303), request, secret.get_secret_value()
    )


@router.post("/admin/logout")
async def logout(request: Request, sessions: SessionsDep) -> Response:
    session_token = request.cookies.get(STAFF_COOKIE)
    if session_token:
        async with transaction(sessions) as session:
            await close_session(session, session_token)
    response = RedirectResponse("/admin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    response.delete_cookie(STAFF_COOKIE, path="/")
    return response
