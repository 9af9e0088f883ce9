"""The embeddable widget in headless chromium, as a visitor of a customer's site uses it."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.browser.conftest import DESKTOP, PHONE, artifact, embed
from tests.conftest import ADMIN_TOKEN
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser

SEED = "My payment failed twice, but I was still charged. I need this fixed today."


def widget(page: Any) -> Any:
    return page.locator("#switchboard-widget")


async def open_chat(page: Any) -> None:
    await page.get_by_role("button", name="Open support chat").click()
    await expect(page.get_by_role("dialog", name="Acme support")).to_be_visible()


async def say(page: Any, text: str) -> dict[str, Any]:
    """Type and press Enter; returns the turn the server answered with."""
    box = page.get_by_role("textbox", name="Message")
    await box.fill(text)
    async with page.expect_response(
        lambda r: r.url.endswith("/api/webchat/messages") and r.request.method == "POST"
    ) as answer:
        await box.press("Enter")
    turn: dict[str, Any] = await (await answer.value).json()
    return turn


def bubbles(page: Any, role: str) -> Any:
    return page.locator(f".msg-{role} .bubble")


async def ticket_numbers(server: LiveServer, customer: str) -> list[str]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        found = await http.get(
            "/api/admin/tickets",
            params={"customer": customer},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
    return [t["number"] for t in found.json()["tickets"]]


async def test_maria_sees_her_ticket_number(server: LiveServer, page: Any) -> None:
    await embed(page, server, user_id="cus_maria", greeting="Hi! How can we help?")
    await open_chat(page)
    await expect(page.get_by_role("textbox", name="Message")).to_be_focused()

    await say(page, SEED)

    [number] = await ticket_numbers(server, "cus_maria")
    reply = bubbles(page, "bot").last
    await expect(reply).to_contain_text(number)
    await expect(reply).to_contain_text("duplicate charge")
    await expect(bubbles(page, "customer")).to_have_text([SEED])
    await expect(page.locator(".typing")).to_be_hidden()
    await page.screenshot(path=artifact("widget-desktop.png"))


async def test_transcript_survives_a_reload(server: LiveServer, page: Any) -> None:
    await embed(page, server, user_id="cus_sam")
    await open_chat(page)
    await say(page, SEED)
    await expect(bubbles(page, "bot")).to_have_count(1)
    before = await bubbles(page, "bot").all_inner_texts()

    await page.reload()

    # The panel stays open in this tab; the transcript comes back once, from history.
    await expect(bubbles(page, "customer")).to_have_text([SEED])
    await expect(bubbles(page, "bot")).to_have_text(before)
    await expect(widget(page)).to_have_attribute("data-connection", "live")


async def test_quick_reply_click_sends_it(server: LiveServer, page: Any) -> None:
    await server.add_staff()
    await embed(page, server)
    await open_chat(page)
    await say(page, SEED)
    quick = page.get_by_role("group", name="Suggested replies")
    await expect(quick.get_by_role("button", name="Talk to a person")).to_be_visible()

    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await quick.get_by_role("button", name="Talk to a person").click()
    turn = await (await answer.value).json()

    assert turn["mode"] == "human"
    await expect(bubbles(page, "customer").last).to_have_text("Talk to a person")
    await expect(quick).to_have_count(0)
    # Honest: nobody has joined yet, so the widget says the customer waits for a person.
    await expect(page.get_by_role("note")).to_contain_text("Waiting for a person")
    await expect(page.locator(".status")).to_contain_text("Waiting for a person")


async def test_staff_message_arrives_live_and_hand_back_is_announced(
    server: LiveServer, page: Any
) -> None:
    await server.add_staff()
    await embed(page, server, user_id="cus_sam")
    await open_chat(page)
    turn = await say(page, "I want to talk to a person")
    await expect(widget(page)).to_have_attribute("data-connection", "live")

    await server.runtime.engine.send_staff_reply(turn["conversation_id"], "Hi Sam, Dana here.")

    staff = page.locator(".msg-staff")
    await expect(staff.locator(".bubble")).to_have_text("Hi Sam, Dana here.")
    await expect(staff.locator(".who")).to_have_text("Support agent")
    staff_bg = await staff.locator(".bubble").evaluate("e => getComputedStyle(e).backgroundColor")
    bot_bg = await bubbles(page, "bot").last.evaluate("e => getComputedStyle(e).backgroundColor")
    assert staff_bg != bot_bg

    await server.hand_back(turn["conversation_id"])
    await expect(page.get_by_role("note").last).to_contain_text("handed you back")
    await page.screenshot(path=artifact("widget-staff.png"))

    # Panel closed: a new staff message shows as unread on the launcher.
    await page.get_by_role("button", name="Close chat").click()
    await server.runtime.engine.send_staff_reply(turn["conversation_id"], "One more thing.")
    await expect(page.get_by_role("button", name="Open support chat (1 unread)")).to_be_visible()


async def test_a_late_answer_to_an_older_request_does_not_undo_a_hand_back(
    server: LiveServer, page: Any
) -> None:
    """The customer writes while with staff; staff hand back before that message's answer
    (which says "human", as it was when the server answered) reaches the widget. The
    socket's newer "bot" must stand."""
    await server.add_staff()
    await embed(page, server, user_id="cus_sam")
    await open_chat(page)
    turn = await say(page, "I want to talk to a person")
    await expect(widget(page)).to_have_attribute("data-connection", "live")
    await expect(widget(page)).to_have_attribute("data-mode", "human")

    answered, release = asyncio.Event(), asyncio.Event()

    async def hold_the_answer(route: Any) -> None:
        response = await route.fetch()  # the server answers now: mode "human"
        answered.set()
        await release.wait()
        await route.fulfill(response=response)

    await page.route("**/api/webchat/messages", hold_the_answer)
    box = page.get_by_role("textbox", name="Message")
    await box.fill("are you still there?")
    await box.press("Enter")
    await asyncio.wait_for(answered.wait(), 10)

    await server.hand_back(turn["conversation_id"])
    await expect(page.get_by_role("note").last).to_contain_text("handed you back")

    release.set()
    await expect(bubbles(page, "customer").last).to_have_text("are you still there?")
    await page.wait_for_timeout(300)  # the late answer has been handled
    await expect(widget(page)).to_have_attribute("data-mode", "bot")
    await expect(page.get_by_role("note").last).to_contain_text("handed you back")


async def test_markup_in_messages_is_shown_as_text(server: LiveServer, page: Any) -> None:
    await embed(page, server)
    await open_chat(page)
    img = "<img src=x onerror=alert(1)>"
    script = "<script>window.pwned = true</script>"
    turn = await say(page, img)
    await say(page, script)
    await server.runtime.engine.send_staff_reply(
        turn["conversation_id"], f"See https://example.com/help?a=1. {img}"
    )

    await expect(bubbles(page, "customer")).to_have_text([img, script])
    staff = bubbles(page, "staff")
    await expect(staff).to_have_text(f"See https://example.com/help?a=1. {img}")
    link = staff.get_by_role("link")
    await expect(link).to_have_attribute("href", "https://example.com/help?a=1")
    await expect(link).to_have_attribute("rel", re.compile("noopener"))
    assert await widget(page).locator("img, script").count() == 0
    assert await page.evaluate("window.pwned") is None


async def test_readable_on_a_375px_phone(server: LiveServer, chromium: Any) -> None:
    context = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    try:
        await embed(page, server, user_id="cus_maria")
        await open_chat(page)
        await say(page, SEED)
        await expect(bubbles(page, "bot")).to_have_count(1)

        panel = await page.get_by_role("dialog", name="Acme support").bounding_box()
        assert panel == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
        log = page.get_by_role("log", name="Conversation")
        assert await log.evaluate("e => e.scrollWidth <= e.clientWidth")
        send = await page.get_by_role("button", name="Send message").bounding_box()
        assert send["x"] + send["width"] <= PHONE["width"]
        font = await bubbles(page, "bot").first.evaluate("e => getComputedStyle(e).fontSize")
        assert float(font.removesuffix("px")) >= 14
        await page.screenshot(path=artifact("widget-mobile.png"))
    finally:
        await context.close()


async def test_send_fails_offline_then_retry_delivers(
    server: LiveServer, context: Any, page: Any
) -> None:
    await embed(page, server)
    await open_chat(page)
    await say(page, "hello")

    await context.set_offline(True)
    box = page.get_by_role("textbox", name="Message")
    await box.fill("where is my order?")
    await box.press("Enter")
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("Couldn't send your message")
    await expect(page.locator(".msg.failed")).to_contain_text("Not sent")

    await context.set_offline(False)
    await alert.get_by_role("button", name="Retry").click()

    await expect(alert).to_be_hidden()
    await expect(page.locator(".msg.failed")).to_have_count(0)
    await expect(bubbles(page, "customer")).to_have_text(["hello", "where is my order?"])
    await expect(bubbles(page, "bot")).to_have_count(2)


async def test_keyboard_limits_and_labels(server: LiveServer, page: Any) -> None:
    await page.set_viewport_size(DESKTOP)
    await embed(page, server)
    launcher = page.get_by_role("button", name="Open support chat")
    await launcher.focus()
    await page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Message")
    await expect(box).to_be_focused()
    send = page.get_by_role("button", name="Send message")

    await expect(send).to_be_disabled()
    await box.fill("   ")
    await expect(send).to_be_disabled()
    await box.fill("x" * 4100)
    assert len(await box.input_value()) == 4000
    await expect(page.locator("#sb-count")).to_have_text("Limit reached: 4,000 characters")
    await box.fill("hi")
    await expect(page.locator("#sb-count")).to_have_text("2 / 4,000")
    await page.keyboard.press("Tab")
    await expect(send).to_be_focused()

    await page.keyboard.press("Escape")
    await expect(page.get_by_role("dialog")).to_be_hidden()
    await expect(launcher).to_be_focused()
    await expect(launcher).to_have_attribute("aria-expanded", "false")


async def test_polls_while_the_socket_is_down_and_reconnects(server: LiveServer, page: Any) -> None:
    refuse = True
    attempts = 0

    async def socket(ws: Any) -> None:
        nonlocal attempts
        attempts += 1
        if refuse:
            await ws.close(code=1011, reason="proxy says no")
        else:
            ws.connect_to_server()

    await page.route_web_socket(re.compile(r"/api/webchat/ws$"), socket)
    await embed(page, server, pollIntervalMs=500)
    await open_chat(page)
    turn = await say(page, "I want to talk to a person")
    await expect(widget(page)).to_have_attribute("data-connection", "polling")

    await server.runtime.engine.send_staff_reply(turn["conversation_id"], "Polled to you.")
    await expect(bubbles(page, "staff")).to_have_text("Polled to you.")

    refuse = False
    await page.evaluate("window.dispatchEvent(new Event('online'))")  # network is back
    await expect(widget(page)).to_have_attribute("data-connection", "live")
    await server.runtime.engine.send_staff_reply(turn["conversation_id"], "Pushed to you.")
    await expect(bubbles(page, "staff")).to_have_text(["Polled to you.", "Pushed to you."])
    assert attempts >= 2
