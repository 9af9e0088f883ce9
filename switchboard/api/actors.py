"""Who is calling the admin API and the console, and what their role lets them do.

A caller is the admin token (`Authorization: Bearer`, for scripts and automation; it
may do everything), a staff member signed in to the console (the `switchboard_staff`
cookie: a random session token, stored as its hash), or the older token cookie the
console sets when opened with the token. Roles rank agent < approver < admin.
Nothing configured (no token, no staff account) → 404: the admin side does not exist.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from storage.models import StaffAccount, StaffRole
from storage.staff_accounts import staff_exists, staff_for_token
from switchboard.api import admin_auth
from switchboard.api.admin_auth import COOKIE, STAFF_COOKIE, cookie_value
from switchboard.api.analytics_page import login_page
from switchboard.api.deps import Sessions, SessionsDep, SettingsDep
from switchboard.desk.handoffs import StaffMember
from switchboard.settings import Settings

RANK = {StaffRole.agent: 0, StaffRole.approver: 1, StaffRole.admin: 2}
OFF = (
    "admin API is off: set SWITCHBOARD_ADMIN_TOKEN or add a staff account "
    "(switchboard staff add EMAIL --role admin)"
)


@dataclass(frozen=True)
class Actor:
    member: StaffMember
    role: StaffRole
    account: StaffAccount | None = None
    """None: the admin token."""
    session_token: str | None = None

    def allows(self, needed: StaffRole) -> bool:
        return RANK[self.role] >= RANK[needed]

    @property
    def label(self) -> str:
        """For audit fields (who decided, who wrote)."""
        return self.member.name or self.member.key


TOKEN_ACTOR = Actor(StaffMember("admin API"), StaffRole.admin)
CONSOLE_TOKEN_ACTOR = Actor(StaffMember("admin console"), StaffRole.admin)


def _token(settings: Settings) -> str | None:
    secret = settings.admin_token
    return secret.get_secret_value() if secret is not None else None


def account_actor(account: StaffAccount, session_token: str | None = None) -> Actor:
    return Actor(StaffMember(account.name, account.name), account.role, account, session_token)


async def find_actor(request: Request, settings: Settings, sessions: Sessions) -> Actor | None:
    token = _token(settings)
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    bearer = scheme.lower() == "bearer"
    if token and bearer and hmac.compare_digest(given.strip().encode(), token.encode()):
        return TOKEN_ACTOR
    session_token = request.cookies.get(STAFF_COOKIE)
    if session_token:
        async with sessions() as session:
            account = await staff_for_token(session, session_token)
        if account is not None:
            return account_actor(account, session_token)
    cookie = request.cookies.get(COOKIE)
    if token and cookie and hmac.compare_digest(cookie.encode(), cookie_value(token).encode()):
        return CONSOLE_TOKEN_ACTOR
    return None


async def admin_side_exists(settings: Settings, sessions: Sessions) -> bool:
    if _token(settings) is not None:
        return True
    async with sessions() as session:
        return await staff_exists(session)


async def current_actor(request: Request, settings: SettingsDep, sessions: SessionsDep) -> Actor:
    actor = await find_actor(request, settings, sessions)
    if actor is not None:
        return actor
    if not await admin_side_exists(settings, sessions):
        raise HTTPException(404, OFF)
    raise HTTPException(401, "admin token missing or wrong (or sign in to the console)")


ActorDep = Annotated[Actor, Depends(current_actor)]
AdminDep = Depends(current_actor)


def require_role(actor: Actor, needed: StaffRole) -> None:
    if not actor.allows(needed):
        raise HTTPException(403, f"this needs the {needed} role; {actor.label} is {actor.role}")


async def _approver(actor: ActorDep) -> Actor:
    require_role(actor, StaffRole.approver)
    return actor


async def _admin(actor: ActorDep) -> Actor:
    require_role(actor, StaffRole.admin)
    return actor


ApproverDep = Annotated[Actor, Depends(_approver)]
AdminRoleDep = Annotated[Actor, Depends(_admin)]


# --- the console's pages and forms ---------------------------------------------------


async def page_actor(
    request: Request, settings: Settings, sessions: Sessions, token: str | None
) -> Actor | Response:
    """Who is looking at an admin page; else the login page, or the redirect that trades
    a one-time `?token=` for the cookie and drops it from the address."""
    target = request.url.path
    if token is not None:
        configured = _token(settings)
        if configured is None and not await admin_side_exists(settings, sessions):
            raise HTTPException(404, OFF)
        if configured is None or not hmac.compare_digest(token.encode(), configured.encode()):
            return HTMLResponse(
                login_page("That token is not right.", next_path=target), status_code=401
            )
        rest = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
        redirect = RedirectResponse(target + (f"?{rest}" if rest else ""), status_code=303)
        return admin_auth.with_cookie(redirect, request, configured)
    actor = await find_actor(request, settings, sessions)
    if actor is not None:
        return actor
    if not await admin_side_exists(settings, sessions):
        raise HTTPException(404, OFF)
    return HTMLResponse(login_page(next_path=target), status_code=401)


def form_token_for(actor: Actor, settings: Settings) -> str:
    """Hidden in every state-changing form: derived from the signed-in session (or the
    admin token), which a page on another site cannot read."""
    if actor.session_token is not None:
        return admin_auth.derived(actor.session_token, b"switchboard staff form")
    return admin_auth.form_token(_token(settings) or "")


async def check_form_post(
    request: Request, settings: Settings, sessions: Sessions
) -> tuple[dict[str, str], Actor] | Response:
    """The form's fields and who posted it, when the post is signed in, same-origin and
    carries the form token; otherwise the response to send (login page or 403)."""
    actor = await find_actor(request, settings, sessions)
    if actor is None:
        if not await admin_side_exists(settings, sessions):
            raise HTTPException(404, OFF)
        return HTMLResponse(login_page(next_path=request.url.path), status_code=401)
    form = await admin_auth.read_form(request)
    given = form.get("form_token", "")
    expected = form_token_for(actor, settings)
    if not admin_auth.same_origin(request) or not hmac.compare_digest(
        given.encode(), expected.encode()
    ):
        raise HTTPException(403, "this form did not come from the admin console")
    return form, actor
