"""Staff sign in as themselves, over real HTTP on both databases: a secure session
cookie, roles enforced, their names on what they do. The admin token keeps working."""

from __future__ import annotations

import httpx

from tests.conftest import open_webchat
from tests.support.server import LiveServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post(
        "/admin/login", content=f"email={email}&password={password}&next=/admin", headers=FORM
    )


async def test_sign_in_roles_and_names(
    server: LiveServer, http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    agent_pw = await server.add_staff("anna@example.com", "Anna", "agent")
    approver_pw = await server.add_staff("pat@example.com", "Pat", "approver")
    admin_pw = await server.add_staff("ada@example.com", "Ada", "admin")

    wrong = await _sign_in(http, "anna@example.com", "not-it-at-all")
    assert wrong.status_code == 401 and "do not match" in wrong.text
    signed = await _sign_in(http, "anna@example.com", agent_pw)
    assert signed.status_code == 303 and signed.headers["location"] == "/admin"
    set_cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    anna = {"switchboard_staff": signed.cookies["switchboard_staff"]}
    http.cookies.clear()

    # An agent works handoffs, under their own name.
    maria = await open_webchat(http, "cus_maria")
    cid = (await maria.say("I want to talk to a human"))["conversation_id"]
    assert (await http.get("/admin", cookies=anna)).status_code == 200
    took = await http.post(f"/api/admin/conversations/{cid}/take", cookies=anna)
    assert took.status_code == 200 and took.json()["assignee"] == "Anna"
    assert any(
        m["text"] == "Anna from our team joined the conversation."
        for m in (await maria.history())["messages"]
    )
    # "staff" in the body is only for the admin token: a session acts as itself.
    sent = await http.post(
        f"/api/admin/conversations/{cid}/messages",
        json={"text": "Hello", "staff": "Someone Else"},
        cookies=anna,
    )
    assert sent.status_code == 201
    detail = (await http.get(f"/api/admin/conversations/{cid}", cookies=anna)).json()
    assert [m["author"] for m in detail["messages"] if m["role"] == "staff"] == ["Anna"]

    # ... but does not decide approvals or see exports.
    decide = {"decision": "approve"}
    refused = await http.post("/api/admin/approvals/999999", json=decide, cookies=anna)
    assert refused.status_code == 403 and "approver" in refused.json()["error"]
    export = await http.get("/api/admin/export/conversations", cookies=anna)
    assert export.status_code == 403

    pat = {
        "switchboard_staff": (await _sign_in(http, "pat@example.com", approver_pw)).cookies[
            "switchboard_staff"
        ]
    }
    http.cookies.clear()
    passed = await http.post("/api/admin/approvals/999999", json=decide, cookies=pat)
    assert passed.status_code == 404  # allowed; there is just no such approval
    assert (await http.get("/api/admin/export/conversations", cookies=pat)).status_code == 403

    ada = {
        "switchboard_staff": (await _sign_in(http, "ada@example.com", admin_pw)).cookies[
            "switchboard_staff"
        ]
    }
    http.cookies.clear()
    assert (await http.get("/api/admin/export/conversations", cookies=ada)).status_code == 200
    # The admin token still does everything.
    assert (
        await http.get("/api/admin/export/conversations", headers=admin_headers)
    ).status_code == 200

    out = await http.post("/admin/logout", cookies=anna)
    assert out.status_code == 303
    http.cookies.clear()
    assert (await http.get("/api/admin/handoffs", cookies=anna)).status_code == 401


async def test_only_admins_manage_staff(
    server: LiveServer, http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    agent_pw = await server.add_staff("anna@example.com", "Anna", "agent")
    admin_pw = await server.add_staff("ada@example.com", "Ada", "admin")
    anna = {
        "switchboard_staff": (await _sign_in(http, "anna@example.com", agent_pw)).cookies[
            "switchboard_staff"
        ]
    }
    ada = {
        "switchboard_staff": (await _sign_in(http, "ada@example.com", admin_pw)).cookies[
            "switchboard_staff"
        ]
    }
    http.cookies.clear()
    new = {
        "email": "ben@example.com",
        "name": "Ben",
        "role": "approver",
        "password": "ben-password-1",
    }

    assert (await http.get("/api/admin/staff", cookies=anna)).status_code == 403
    assert (await http.post("/api/admin/staff", json=new, cookies=anna)).status_code == 403
    added = await http.post("/api/admin/staff", json=new, cookies=ada)
    assert added.status_code == 201 and added.json()["role"] == "approver"
    assert "password" not in added.text and "hash" not in added.text
    again = await http.post("/api/admin/staff", json=new, headers=admin_headers)
    assert again.status_code == 409 and "exists" in again.json()["error"]
    weak = await http.post(
        "/api/admin/staff",
        json={**new, "email": "c@example.com", "password": "x"},
        headers=admin_headers,
    )
    assert weak.status_code == 422 and weak.json()["error"]
    listed = (await http.get("/api/admin/staff", headers=admin_headers)).json()["staff"]
    assert [s["email"] for s in listed] == [
        "anna@example.com",
        "ada@example.com",
        "ben@example.com",
    ]
    assert (await _sign_in(http, "ben@example.com", "ben-password-1")).status_code == 303
