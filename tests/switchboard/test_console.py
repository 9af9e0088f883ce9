"""The admin console over HTTP on both databases: sign-in, filters, keyset pages, the
transcript's traces, escaping of what customers type, and approve/deny/retry as forms
(with the form token and origin checks that make them safe from other sites)."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import httpx

from storage.models import Conversation
from switchboard.api.admin_auth import form_token
from tests.conftest import ADMIN_TOKEN
from tests.support.console_seed import HOSTILE, Seeded, seed_console
from tests.support.server import LiveServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def conversation_ids(page: str) -> list[int]:
    table = page.split('id="conversations"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'href="/admin/conversations/(\d+)"', table)]


async def sign_in(http: httpx.AsyncClient) -> dict[str, str]:
    response = await http.post("/admin/login", content=f"token={ADMIN_TOKEN}", headers=FORM)
    assert response.status_code == 303
    http.cookies.clear()  # each request below says whether it carries the cookie
    return {"switchboard_admin": response.cookies["switchboard_admin"]}


async def test_console(
    http: httpx.AsyncClient, server: LiveServer, admin_headers: dict[str, str]
) -> None:
    """One server per database (starting one dominates); each step is its own function."""
    seeded = await seed_console(http, server.runtime, admin_headers)
    await access_needs_the_token(http)
    cookies = await sign_in(http)
    await filters_narrow_the_list(http, cookies, seeded)
    await pages_are_keyset(http, server, cookies)
    await transcript_shows_traces_escaped(http, cookies, seeded)
    await tickets_list(http, cookies, seeded)
    await forms_refuse_other_sites(http, cookies, seeded)
    await approve_through_the_form(http, cookies, seeded, admin_headers)
    await retry_a_dead_letter(http, cookies, seeded)


async def access_needs_the_token(http: httpx.AsyncClient) -> None:
    for path in ("/admin", "/admin/approvals", "/admin/dead-letters", "/admin/conversations/1"):
        page = await http.get(path)
        assert page.status_code == 401 and 'name="token"' in page.text, path
        assert f'name="next" value="{path}"' in page.text
    wrong = await http.post("/admin/login", content="token=nope&next=/admin", headers=FORM)
    assert wrong.status_code == 401 and "not right" in wrong.text

    back = await http.post(
        "/admin/login", content=f"token={ADMIN_TOKEN}&next=/admin/approvals", headers=FORM
    )
    assert back.headers["location"] == "/admin/approvals"
    assert ADMIN_TOKEN not in back.cookies["switchboard_admin"]
    assert "samesite=strict" in back.headers["set-cookie"].lower()
    for evil in ("https://evil.example/", "//evil.example/admin", "/\\evil.example"):
        away = await http.post(
            "/admin/login", content=f"token={ADMIN_TOKEN}&next={evil}", headers=FORM
        )
        assert away.headers["location"] == "/admin", evil

    http.cookies.clear()
    link = await http.get("/admin", params={"token": ADMIN_TOKEN, "channel": "webchat"})
    assert link.status_code == 303 and link.headers["location"] == "/admin?channel=webchat"
    http.cookies.clear()
    bearer = await http.get("/admin", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert bearer.status_code == 200
    # The analytics page takes the same cookie: one sign-in for every admin page.
    cookie = {"switchboard_admin": back.cookies["switchboard_admin"]}
    assert (await http.get("/admin/analytics", cookies=cookie)).status_code == 200


async def filters_narrow_the_list(
    http: httpx.AsyncClient, cookies: dict[str, str], seeded: Seeded
) -> None:
    async def ids(**params: str) -> list[int]:
        page = await http.get("/admin", params=params, cookies=cookies)
        assert page.status_code == 200, page.text
        return conversation_ids(page.text)

    everyone = await ids()
    assert seeded.billing in everyone and seeded.hostile in everyone
    assert await ids(intent="billing_issue") == [seeded.billing]
    assert seeded.billing not in await ids(intent="order_status")
    assert seeded.hostile in await ids(intent="order_status")
    assert await ids(channel="telegram") == []
    assert set(await ids(channel="webchat", mode="bot")) >= {seeded.billing, seeded.hostile}
    assert await ids(mode="human") == []
    assert await ids(customer="cus_maria") == [seeded.billing]
    today = datetime.now(UTC).date()
    # Form fields left empty mean "no filter", as a browser sends them.
    assert seeded.billing in await ids(since=today.isoformat(), until="", mode="")
    assert await ids(since=(today + timedelta(days=1)).isoformat()) == []
    assert await ids(until=(today - timedelta(days=1)).isoformat()) == []

    for params, field in (({"since": "last tuesday"}, "since"), ({"mode": "asleep"}, "mode")):
        bad = await http.get("/admin", params=params, cookies=cookies)
        assert bad.status_code == 422 and bad.json()["error"].startswith(field)


async def pages_are_keyset(
    http: httpx.AsyncClient, server: LiveServer, cookies: dict[str, str]
) -> None:
    async with server.runtime.sessions() as session, session.begin():
        for n in range(55):
            session.add(Conversation(channel="slack", channel_chat_id=f"page-{n}"))
    first = await http.get("/admin", params={"channel": "slack"}, cookies=cookies)
    ids = conversation_ids(first.text)
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.text)[1])  # type: ignore[index]
    assert following == f"/admin?channel=slack&before={ids[-1]}"
    second = await http.get(following, cookies=cookies)
    rest = conversation_ids(second.text)
    assert len(rest) == 5 and max(rest) < min(ids)
    assert 'rel="next"' not in second.text and "First page" in second.text


async def transcript_shows_traces_escaped(
    http: httpx.AsyncClient, cookies: dict[str, str], seeded: Seeded
) -> None:
    page = await http.get(f"/admin/conversations/{seeded.billing}", cookies=cookies)
    assert page.status_code == 200
    text = page.text
    assert "billing_issue" in text and "workflow:billing_issue" in text
    assert "payments.find_duplicates" in text and "tickets.create" in text
    assert "guard <span" in text and " ms</span>" in text  # node path with per-node latency
    assert seeded.ticket in text and "payments.refund" in text
    assert text.count('data-trace="') == 2
    assert f'action="/admin/approvals/{seeded.approval}"' in text

    for path in (f"/admin/conversations/{seeded.hostile}", "/admin?channel=webchat"):
        page = await http.get(path, cookies=cookies)
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert html.escape(HOSTILE, quote=False)[:40] in page.text.replace("&quot;", '"')
    assert "<script" not in page.text  # the pages carry no script at all

    missing = await http.get("/admin/conversations/999999", cookies=cookies)
    assert missing.status_code == 404 and "error" in missing.json()


async def tickets_list(http: httpx.AsyncClient, cookies: dict[str, str], seeded: Seeded) -> None:
    page = await http.get("/admin/tickets", params={"customer": "cus_maria"}, cookies=cookies)
    assert seeded.ticket in page.text and "billing" in page.text
    none = await http.get("/admin/tickets", params={"customer": "cus_lee"}, cookies=cookies)
    assert seeded.ticket not in none.text and "No tickets match" in none.text


async def forms_refuse_other_sites(
    http: httpx.AsyncClient, cookies: dict[str, str], seeded: Seeded
) -> None:
    action = f"/admin/approvals/{seeded.approval}"
    good = form_token(ADMIN_TOKEN)
    no_cookie = await http.post(action, content=f"decision=approve&form_token={good}", headers=FORM)
    assert no_cookie.status_code == 401
    no_token = await http.post(action, content="decision=approve", headers=FORM, cookies=cookies)
    assert no_token.status_code == 403 and "error" in no_token.json()
    elsewhere = await http.post(
        action,
        content=f"decision=approve&form_token={good}",
        headers={**FORM, "Origin": "https://evil.example"},
        cookies=cookies,
    )
    assert elsewhere.status_code == 403
    nonsense = await http.post(
        action, content=f"decision=maybe&form_token={good}", headers=FORM, cookies=cookies
    )
    assert nonsense.status_code == 422


async def approve_through_the_form(
    http: httpx.AsyncClient, cookies: dict[str, str], seeded: Seeded, admin: dict[str, str]
) -> None:
    queue = await http.get("/admin/approvals", cookies=cookies)
    assert f'data-approval="{seeded.approval}"' in queue.text
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', queue.text)[1]  # type: ignore[index]
    action = f"/admin/approvals/{seeded.approval}"
    origin = {**FORM, "Origin": str(http.base_url).rstrip("/")}
    body = f"decision=deny&form_token={token}&back=/admin/conversations/{seeded.billing}"
    denied = await http.post(action, content=body, headers=origin, cookies=cookies)
    assert denied.status_code == 303
    assert denied.headers["location"].startswith(f"/admin/conversations/{seeded.billing}?done=")
    again = await http.post(
        action, content=f"decision=approve&form_token={token}", headers=origin, cookies=cookies
    )
    shown = await http.get(again.headers["location"], cookies=cookies)
    assert "already decided (denied by admin-console)" in shown.text
    decided = (await http.get("/api/admin/approvals?status=denied", headers=admin)).json()
    assert [a["id"] for a in decided["approvals"]] == [seeded.approval]
    assert "Nothing waits" in (await http.get("/admin/approvals", cookies=cookies)).text


async def retry_a_dead_letter(
    http: httpx.AsyncClient, cookies: dict[str, str], seeded: Seeded
) -> None:
    page = await http.get("/admin/dead-letters", cookies=cookies)
    assert f'data-outbox="{seeded.dead_letter}"' in page.text
    assert "session gone (410)" in page.text and "&lt;b&gt;today&lt;/b&gt;" in page.text
    assert '<span class="badge">1</span>' in page.text
    retried = await http.post(
        f"/admin/dead-letters/{seeded.dead_letter}/retry",
        content=f"form_token={form_token(ADMIN_TOKEN)}",
        headers=FORM,
        cookies=cookies,
    )
    assert retried.status_code == 303
    shown = await http.get(retried.headers["location"], cookies=cookies)
    assert f"Reply {seeded.dead_letter} delivered." in shown.text
    assert "No undelivered replies" in shown.text
    gone = await http.post(
        "/admin/dead-letters/999999/retry",
        content=f"form_token={form_token(ADMIN_TOKEN)}",
        headers=FORM,
        cookies=cookies,
    )
    assert gone.status_code == 404
