"""Headless Debian chromium driven by Playwright, against the real app on 127.0.0.1.

Playwright's own browser download never runs: we launch /usr/bin/chromium (the Makefile's
`browser` target installs it). Where it is absent the browser tests skip, saying why.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.responses import HTMLResponse

from tests.conftest import make_settings, user_hash
from tests.support.databases import DatabaseFactory
from tests.support.server import LiveServer, run_server

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}

EMBED_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>A customer's site</title></head>
<body><h1>A site that embeds the widget</h1>
<script src="/widget.js"></script>
<script>SwitchboardWidget.init(%s);</script>
</body></html>"""


@pytest.fixture(scope="module")
def browser_database_url(sqlite_databases: DatabaseFactory) -> str:
    return sqlite_databases.fresh()  # sync: it may run asyncio.run() to build the template


@pytest.fixture(scope="module")
async def server(
    browser_database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[LiveServer]:
    """The real app, shared by a module's browser tests: starting it (training the intent
    classifier) costs more than a browser test itself. Tests stay independent because each
    runs in a fresh browser context, hence a fresh web chat session and conversation.
    SQLite only: these tests exercise the widget; storage is covered on both databases.
    A module may set SERVER_SETTINGS = {ENV_NAME: value} to run with other settings."""
    overrides = getattr(request.module, "SERVER_SETTINGS", {})
    async with run_server(make_settings(browser_database_url, **overrides)) as live:
        yield live


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def context(chromium: Any) -> AsyncIterator[Any]:
    context = await chromium.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    yield context
    await context.close()


@pytest.fixture
async def page(context: Any) -> AsyncIterator[Any]:
    """A tab that fails the test on any uncaught script error or alert()."""
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("dialog", lambda dialog: problems.append(f"dialog opened: {dialog.message}"))
    yield page
    assert not problems, problems


async def embed(page: Any, server: LiveServer, user_id: str | None = None, **config: Any) -> None:
    """Open a page of 'the customer's site' that embeds the widget with `config`.

    The page is served by the app itself (a route added for the test) rather than by
    Playwright's request interception: chromium treats intercepted pages as public and its
    local-network-access checks then refuse their WebSocket to 127.0.0.1.
    """
    config.setdefault("title", "Acme support")
    if user_id:
        config.update(userId=user_id, userHash=user_hash(user_id))
    html = EMBED_PAGE % json.dumps(config)
    path = f"/embedding-site/{len(server.app.routes)}"

    async def site() -> HTMLResponse:
        return HTMLResponse(html)

    server.app.add_api_route(path, site, include_in_schema=False)
    await page.goto(server.url + path)


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / name)
