"""Sign-in for the admin pages (`/admin`, `/admin/analytics`): one cookie for all of them.

Access: `Authorization: Bearer <token>` (scripts), or a cookie set by the login form or by
opening any admin page with `?token=<token>` once (the page then redirects to drop the
token from the address bar and history). The cookie holds an HMAC of the token, never the
token itself; it is HttpOnly and SameSite=Strict. No token configured → 404.

Forms that change something (approve, deny, retry) also carry a form token derived from
the admin token and are refused when the browser says they came from another origin:
SameSite=Strict already keeps the cookie off cross-site posts, this is the second lock.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from switchboard.api.analytics_page import login_page
from switchboard.api.deps import RuntimeDep

COOKIE = "switchboard_admin"
router = APIRouter(tags=["admin pages"], include_in_schema=False)


def configured_token(runtime: Any) -> str:
    """The admin token; 404 when none is set, so the pages do not exist at all."""
    secret = runtime.settings.admin_token
    if secret is None:
        raise HTTPException(404, "admin API is off: set SWITCHBOARD_ADMIN_TOKEN to enable it")
    return str(secret.get_secret_value())


def _derived(token: str, purpose: bytes) -> str:
    return hmac.new(token.encode(), purpose, hashlib.sha256).hexdigest()


def cookie_value(token: str) -> str:
    return _derived(token, b"switchboard admin cookie")


def form_token(token: str) -> str:
    """Hidden in every state-changing form; a page on another site cannot read it."""
    return _derived(token, b"switchboard admin form")


def is_authorised(runtime: Any, authorization: str | None, cookie: str | None) -> bool:
    token = configured_token(runtime)
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return True
    return cookie is not None and hmac.compare_digest(cookie.encode(), cookie_value(token).encode())


def token_matches(runtime: Any, given: str) -> bool:
    return hmac.compare_digest(given.encode(), configured_token(runtime).encode())


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


async def check_form_post(request: Request, runtime: Any) -> dict[str, str] | Response:
    """The form's fields when the post is signed in, same-origin and carries the form
    token; otherwise the response to send (login page or 403)."""
    token = configured_token(runtime)
    cookie = request.cookies.get(COOKIE)
    if not is_authorised(runtime, request.headers.get("authorization"), cookie):
        return HTMLResponse(login_page(next_path=request.url.path), status_code=401)
    form = await read_form(request)
    given = form.get("form_token", "")
    if not same_origin(request) or not hmac.compare_digest(
        given.encode(), form_token(token).encode()
    ):
        raise HTTPException(403, "this form did not come from the admin console")
    return form


@router.post("/admin/login")
async def login(request: Request, runtime: RuntimeDep) -> Response:
    configured = configured_token(runtime)
    form = await read_form(request)
    target = safe_next(form.get("next"))
    if not token_matches(runtime, form.get("token", "")):
        return HTMLResponse(
            login_page("That token is not right.", next_path=target), status_code=401
        )
    return with_cookie(RedirectResponse(target, status_code=303), request, configured)


@router.post("/admin/logout")
async def logout() -> Response:
    response = RedirectResponse("/admin", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response
