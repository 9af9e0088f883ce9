"""`GET /` in demo mode: the demo company's site, one click to chat as a demo customer."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.test_widget import SEED, bubbles, open_chat, say, ticket_numbers
from tests.support.server import LiveServer

pytestmark = pytest.mark.browser
SERVER_SETTINGS = {"SWITCHBOARD_DEMO": True}


async def test_sign_in_as_maria_and_get_the_seed_ticket(server: LiveServer, page: Any) -> None:
    await page.goto(server.url + "/")
    await page.get_by_role("radio", name="Maria").check()
    await open_chat(page)
    await expect(bubbles(page, "bot").first).to_contain_text("virtual assistant")

    await say(page, SEED)

    [number] = await ticket_numbers(server, "cus_maria")
    await expect(bubbles(page, "bot").last).to_contain_text(number)

    # Back as the anonymous visitor: a different session, no account data shown.
    await page.get_by_role("radio", name="Anonymous visitor").check()
    await open_chat(page)
    await expect(bubbles(page, "customer")).to_have_count(0)
