"""The console's Workflows page in Chromium: each written workflow of the shipped policy
drawn (server-side SVG, no script), readable on a desktop, scrolling inside its panel on a
phone. Screenshots land in tests/artifacts/."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import PHONE, artifact
from tests.conftest import ADMIN_TOKEN
from tests.support.server import LiveServer


async def test_workflows_are_drawn(page: Any, server: LiveServer) -> None:
    await page.goto(f"{server.url}/admin/workflows?token={ADMIN_TOKEN}")
    drawing = page.locator("#workflow-billing_issue svg.workflow")
    box = await drawing.bounding_box()
    assert box is not None and box["height"] > 300 and box["width"] > 200
    assert await drawing.locator("g.step.if").count() >= 1
    assert await page.evaluate("document.querySelectorAll('script').length") == 0
    await page.screenshot(path=artifact("console-workflows.png"), full_page=True)


async def test_workflows_fit_a_phone(page: Any, server: LiveServer) -> None:
    await page.set_viewport_size(PHONE)
    await page.goto(f"{server.url}/admin/workflows?token={ADMIN_TOKEN}")
    await page.wait_for_selector("svg.workflow")
    overflow = "document.documentElement.scrollWidth - window.innerWidth"
    assert await page.evaluate(overflow) <= 0
    await page.screenshot(path=artifact("console-workflows-phone.png"), full_page=True)
