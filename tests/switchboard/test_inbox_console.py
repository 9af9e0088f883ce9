"""The staff inbox in the console over real HTTP on both databases: what waits, the
conversation's staff panel and its forms, and the live event stream."""

from __future__ import annotations

import asyncio
import re

import httpx

from switchboard.desk.handoffs import RESOLVED_TEXT
from tests.conftest import open_webchat
from tests.support.server import LiveServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _staff_cookies(server: LiveServer, http: httpx.AsyncClient) -> dict[str, str]:
    password = await server.add_staff("anna@example.com", "Anna", "agent")
    signed = await http.post(
        "/admin/login", content=f"email=anna@example.com&password={password}", headers=FORM
    )
    assert signed.status_code == 303
    cookies = {"switchboard_staff": signed.cookies["switchboard_staff"]}
    http.cookies.clear()
    return cookies


def _form_token(html: str) -> str:
    found = re.search(r'name="form_token" value="([^"]+)"', html)
    assert found, "no form on the page"
    return found.group(1)


async def test_inbox_take_reply_note_resolve_from_the_console(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    cookies = await _staff_cookies(server, http)
    maria = await open_webchat(http, "cus_maria")
    cid = (await maria.say("I want to talk to a human"))["conversation_id"]
    await maria.say("It's about order 1042 <b>urgent</b>")

    inbox = await http.get("/admin/inbox", cookies=cookies)
    assert inbox.status_code == 200
    assert f"/admin/conversations/{cid}" in inbox.text and "webchat" in inbox.text
    assert "&lt;b&gt;urgent&lt;/b&gt;" in inbox.text  # escaped, and shown
    assert 'Inbox<span class="badge">1</span>' in inbox.text

    page = await http.get(f"/admin/conversations/{cid}", cookies=cookies)
    assert "Waiting for a person" in page.text and "Take it" in page.text
    token = _form_token(page.text)
    base = f"/admin/conversations/{cid}"

    async def post(action: str, **fields: str) -> httpx.Response:
        body = "&".join(f"{k}={v}" for k, v in {"form_token": token, **fields}.items())
        return await http.post(f"{base}/{action}", content=body, headers=FORM, cookies=cookies)

    foreign = await http.post(
        f"{base}/take", content="form_token=forged", headers=FORM, cookies=cookies
    )
    assert foreign.status_code == 403
    took = await post("take")
    assert took.status_code == 303 and "You+have+it" in took.headers["location"]
    assert (await post("messages", text="Hello+Maria%2C+on+it.")).status_code == 303
    assert (await post("notes", text="Carrier+contacted")).status_code == 303
    assert (await post("messages", text="+++")).status_code == 422

    page = await http.get(base, cookies=cookies)
    assert "Taken by Anna" in page.text and "Carrier contacted" in page.text
    assert "staff · Anna" in page.text  # the author on the message
    texts = [m["text"] for m in (await maria.history())["messages"]]
    assert texts.count("Hello Maria, on it.") == 1 and "Carrier contacted" not in texts
    assert "Anna from our team joined the conversation." in texts

    assert (await post("resolve")).status_code == 303
    after = [m["text"] for m in (await maria.history())["messages"]]
    assert RESOLVED_TEXT in after
    inbox = await http.get("/admin/inbox", cookies=cookies)
    assert "Nobody is waiting for a person." in inbox.text


async def test_events_stream_tells_open_pages_what_changed(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    cookies = await _staff_cookies(server, http)
    assert (await http.get("/admin/events")).status_code == 401
    maria = await open_webchat(http, "cus_maria")
    cid = (await maria.say("I want to talk to a human"))["conversation_id"]

    async with http.stream("GET", "/admin/events", cookies=cookies) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == "retry: 1000"
        await maria.say("still there?")

        async def changed() -> str:
            async for line in lines:
                if line.startswith("data: "):
                    return line.removeprefix("data: ")
            return ""

        assert await asyncio.wait_for(changed(), 10) == str(cid)


async def test_a_stream_ends_by_itself_and_on_close() -> None:
    """Short streams: a stopping server is never held by an open console tab."""
    from switchboard.desk.console_live import ConsoleEvents

    events = ConsoleEvents()
    lines = [line async for line in events.stream(heartbeat_s=0.05, lifetime_s=0.2)]
    assert lines[0] == "retry: 1000\n\n" and ": still here\n\n" in lines
    assert events.listeners == 0

    stream = events.stream(heartbeat_s=5, lifetime_s=60)
    assert await anext(stream) == "retry: 1000\n\n"
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    await events.publish(7)
    assert await pending == "event: changed\ndata: 7\n\n"
    events.close()
    assert [line async for line in stream] == []
