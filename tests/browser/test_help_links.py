"""A help-centre answer in Chromium: its citation is a link that opens the article."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.browser.conftest import embed
from tests.browser.test_widget import bubbles, open_chat, say
from tests.support.server import LiveServer


async def test_the_citation_is_a_working_link(server: LiveServer, page: Any) -> None:
    await embed(page, server)
    await open_chat(page)
    await say(page, "what is your return policy")
    link = bubbles(page, "bot").last.locator("a[href*='/help/']")
    await expect(link).to_have_count(1)
    href = await link.get_attribute("href")
    assert href is not None and href.startswith("http://127.0.0.1:8000/help/")
    # The address is the configured public one; the page is this server's.
    article = await page.request.get(server.url + href.removeprefix("http://127.0.0.1:8000"))
    assert article.status == 200 and "Help centre" in await article.text()
