"""The admin console in Chromium: sign in, filter, read a transcript with its traces,
approve, retry a dead letter; markup a customer typed stays text; fits a phone.
Screenshots at 1280×800 and 375 px wide land in tests/artifacts/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, artifact
from tests.conftest import ADMIN_TOKEN
from tests.support.console_seed import HOSTILE, Seeded, seed_console
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
async def seeded(server: LiveServer) -> AsyncIterator[Seeded]:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield await seed_console(http, server.runtime, admin)


async def test_desktop_console(page: Any, server: LiveServer, seeded: Seeded) -> None:
    await page.goto(server.url + "/admin")
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("#token-login button[type=submit]")
    await page.wait_for_selector("#conversations")
    assert await page.locator("nav a[aria-current=page]").inner_text() == "Conversations"
    assert "1" in await page.locator("nav a[href='/admin/approvals'] .badge").inner_text()
    hostile_row = page.locator(
        f"#conversations tr:has(a[href='/admin/conversations/{seeded.hostile}'])"
    )
    assert "<script>" in await hostile_row.inner_text()  # shown as text, never run
    await page.screenshot(path=artifact("console-desktop.png"), full_page=True)

    await page.select_option("select[name=intent]", "billing_issue")
    await page.click("#filters button[type=submit]")
    await page.wait_for_url("**intent=billing_issue**")
    assert await page.locator("#conversations a[href^='/admin/conversations/']").count() == 1

    await page.click(f"a[href='/admin/conversations/{seeded.billing}']")
    await page.wait_for_selector("[data-trace]")
    first = page.locator("[data-trace]").first
    trace = await first.inner_text()
    assert "billing_issue" in trace and "workflow:billing_issue" in trace
    assert "payments.find_duplicates" in trace and "guard" in trace and "ms" in trace
    assert seeded.ticket in await page.inner_text("#conversation-tickets")
    await page.screenshot(path=artifact("console-transcript-desktop.png"), full_page=True)

    await page.click("#conversation-approvals button:has-text('Approve')")
    await page.wait_for_selector("[role=status]")
    assert "approved" in await page.inner_text("[role=status]")
    assert "approved by admin-console" in await page.inner_text("#conversation-approvals")
    assert "issued" in await page.inner_text("#transcript")  # the customer was told

    await page.click("nav a[href='/admin/dead-letters']")
    assert "session gone" in await page.inner_text("#dead-letters")
    await page.click("#dead-letters button:has-text('Retry')")
    await page.wait_for_selector("[role=status]")
    assert f"Reply {seeded.dead_letter} delivered." in await page.inner_text("[role=status]")

    await page.goto(f"{server.url}/admin/conversations/{seeded.hostile}")
    assert HOSTILE in await page.inner_text("#transcript")
    assert await page.evaluate("document.querySelectorAll('main script, main img').length") == 0


async def test_phone_layout_fits(page: Any, server: LiveServer, seeded: Seeded) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(f"{server.url}/admin?token={ADMIN_TOKEN}")
    await page.wait_for_selector("#conversations")
    assert "token=" not in page.url
    overflow = "document.documentElement.scrollWidth - window.innerWidth"
    assert await page.evaluate(overflow) <= 0
    await page.screenshot(path=artifact("console-phone.png"), full_page=True)

    await page.goto(f"{server.url}/admin/conversations/{seeded.billing}")
    await page.wait_for_selector("[data-trace]")
    assert await page.evaluate(overflow) <= 0
    await page.screenshot(path=artifact("console-transcript-phone.png"), full_page=True)
