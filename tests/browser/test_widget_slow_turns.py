"""The widget with a slow model: a turn that outlasts the server's wait (202) shows
"still working", is not an error, and its answer appears when it comes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.conftest import embed
from tests.browser.test_widget import bubbles, open_chat, say
from tests.conftest import make_settings
from tests.graph.test_agent import small_talk, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.server import LiveServer, run_server
from tests.support.slow_openai import run_slow_openai

pytestmark = pytest.mark.browser

REPLY = "Good morning! I can help with payments and orders."


@pytest.fixture
async def server(sqlite_databases: DatabaseFactory, tmp_path: Path) -> AsyncIterator[LiveServer]:
    async with run_slow_openai() as model:
        model.fake.queue(small_talk(REPLY))
        model.delay_s = 2.0
        settings = make_settings(
            sqlite_databases.fresh(),
            SWITCHBOARD_LLM_MODEL="fake-model",
            SWITCHBOARD_LLM_BASE_URL=model.url,
            OPENAI_API_KEY="sk-test",
            SWITCHBOARD_POLICY=str(write_policy(tmp_path)),
            SWITCHBOARD_TURN_WAIT_S=0.5,
        )
        async with run_server(settings) as live:
            yield live


async def test_a_slow_answer_shows_still_working_then_arrives(
    server: LiveServer, page: Any
) -> None:
    await embed(page, server, user_id="cus_maria")
    await open_chat(page)
    turn = await say(page, "Good morning")
    assert turn["status"] == "processing"

    await expect(page.locator(".msg-customer .state.working")).to_have_text("Still working on it…")
    await expect(page.locator(".typing")).to_be_visible()
    await expect(page.get_by_role("alert")).to_be_hidden()

    await expect(bubbles(page, "bot")).to_have_text([REPLY])
    await expect(page.locator(".state.working")).to_have_count(0)
    await expect(page.locator(".typing")).to_be_hidden()
    await expect(page.locator(".msg.failed")).to_have_count(0)
