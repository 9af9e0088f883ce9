"""The analytics page in Chromium: sign in with the token, read the figures and charts,
at 1280×800 and at phone width (screenshots in tests/artifacts/)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import PHONE, artifact
from tests.conftest import ADMIN_TOKEN
from tests.support.databases import DatabaseFactory
from tests.support.report_data import load_report_data
from tests.support.server import LiveServer


@pytest.fixture(scope="module")
def browser_database_url(sqlite_databases: DatabaseFactory) -> str:
    url = sqlite_databases.fresh()
    base = (datetime.now(UTC) - timedelta(days=3)).replace(hour=10, minute=0, second=0)
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, load_report_data(url, base)).result()
    return url


async def sign_in(page: Any, server: LiveServer) -> None:
    await page.goto(server.url + "/admin/analytics")
    await page.fill("#token", ADMIN_TOKEN)
    await page.click("#token-login button[type=submit]")
    await page.wait_for_selector("[data-kpi=Conversations]")


async def test_desktop_figures_and_charts(page: Any, server: LiveServer) -> None:
    await page.goto(server.url + "/admin/analytics")
    await page.fill("#token", "wrong")
    await page.click("#token-login button[type=submit]")
    assert "not right" in await page.inner_text("[role=alert]")
    await sign_in(page, server)
    kpi = page.locator("[data-kpi=Conversations] .value")
    assert await kpi.inner_text() == "4"  # the December one is outside 30 days
    assert await page.locator("[data-kpi=Contained] .value").inner_text() == "50.0%"
    assert await page.locator("[data-kpi='Bot first response'] .value").inner_text() == "400 ms"
    assert await page.locator("svg.chart").count() == 4
    assert await page.locator("[data-chart='Turns per day by route'] rect").count() >= 3
    assert "billing_issue" in await page.inner_text("#intents")
    assert "agent:budget" in await page.inner_text("#reasons")
    await page.screenshot(path=artifact("analytics-desktop.png"), full_page=True)

    await page.select_option("select[name=days]", "7")
    await page.fill("input[name=channel]", "telegram")
    await page.click("form.window button[type=submit]")
    await page.wait_for_url("**channel=telegram**")
    assert await kpi.inner_text() == "2"


async def test_phone_layout_fits(context: Any, server: LiveServer) -> None:
    await context.new_page()  # keep the desktop context's cookie jar separate per test
    page = await context.new_page()
    await page.set_viewport_size(PHONE)
    await page.goto(f"{server.url}/admin/analytics?token={ADMIN_TOKEN}")
    await page.wait_for_selector("[data-kpi=Conversations]")
    assert "token=" not in page.url
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    box = await page.locator("svg.chart").first.bounding_box()
    assert box["width"] <= PHONE["width"]
    await page.screenshot(path=artifact("analytics-phone.png"), full_page=True)
