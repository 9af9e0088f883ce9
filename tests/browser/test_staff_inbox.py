"""A day without Slack, in Chromium: a staff member signs in, takes a handoff from the
inbox and replies; the customer's widget shows it; the customer answers and the staff
page shows it live; resolved, the customer is asked for a rating."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser.conftest import DESKTOP, artifact, embed
from tests.browser.test_widget import bubbles, open_chat, say
from tests.support.server import LiveServer


async def test_a_handoff_worked_from_the_inbox(server: LiveServer, chromium: Any) -> None:
    password = await server.add_staff("anna@example.com", "Anna", "agent")
    customer_context = await chromium.new_context(viewport=DESKTOP)
    staff_context = await chromium.new_context(viewport=DESKTOP)
    customer_context.set_default_timeout(10_000)
    staff_context.set_default_timeout(10_000)
    problems: list[str] = []
    try:
        customer = await customer_context.new_page()
        staff = await staff_context.new_page()
        for page in (customer, staff):
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

        await embed(customer, server, user_id="cus_maria")
        await open_chat(customer)
        turn = await say(customer, "I want to talk to a human")
        assert turn["mode"] == "human"
        await expect(customer.locator(".status")).to_contain_text("Waiting for a person")
        await say(customer, "It's about order 1042.")

        # Staff sign in as themselves and find Maria waiting.
        await staff.goto(server.url + "/admin/inbox")
        await staff.fill("#email", "anna@example.com")
        await staff.fill("#password", password)
        await staff.click("#staff-login button[type=submit]")
        await staff.wait_for_url("**/admin/inbox")
        row = staff.locator("#inbox tr", has_text="It's about order 1042.")
        await expect(row).to_contain_text("webchat")
        await expect(row).to_contain_text("waiting")
        await row.get_by_role("link").click()

        await staff.get_by_role("button", name="Take it").click()
        await expect(staff.locator("[role=status]")).to_contain_text("You have it now.")
        await expect(customer.locator(".status")).to_contain_text("chatting with our support team")
        await expect(bubbles(customer, "bot").last).to_have_text(
            "Anna from our team joined the conversation."
        )

        await staff.fill("#reply-text", "Hi Maria, I'm looking at order 1042 now.")
        await staff.get_by_role("button", name="Send to the customer").click()
        await expect(bubbles(customer, "staff")).to_have_text(
            "Hi Maria, I'm looking at order 1042 now."
        )
        await staff.fill("#note-text", "Carrier contacted")
        await staff.get_by_role("button", name="Add note").click()
        await expect(staff.locator("#notes")).to_contain_text("Carrier contacted")

        # The customer answers; the staff page shows it without a reload.
        await expect(staff.locator("html")).to_have_attribute("data-live", "on")
        await say(customer, "Thank you, it was a birthday present!")
        await expect(staff.locator("#transcript")).to_contain_text("birthday present")
        await expect(staff.locator("#reply-text")).to_be_visible()  # forms are kept
        await staff.screenshot(path=artifact("console-handoff.png"), full_page=True)

        await staff.get_by_role("button", name="Resolve").click()
        await expect(staff.locator("[role=status]")).to_contain_text("Resolved")
        await expect(bubbles(customer, "bot").last).to_contain_text("how would you rate")
        await expect(customer.get_by_role("button", name="5")).to_be_visible()
        await customer.screenshot(path=artifact("widget-resolved.png"))
        assert "Carrier contacted" not in await customer.locator(".log, body").first.inner_text()
    finally:
        await customer_context.close()
        await staff_context.close()
    assert not problems, problems
