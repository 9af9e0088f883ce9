"""What reaches the model is redacted: an e-mail the transcript keeps (the default) goes
to the OpenAI-compatible server as [EMAIL_1], in the classifier's and the agent's calls."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conftest import open_webchat
from tests.graph.test_agent import OTHER, UNSURE, start, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import FakeOpenAI, Say


async def test_model_sees_placeholders(
    databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    fake_llm.queue(OTHER, Say("Thanks, noted."))
    async with await start(databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            chat = await open_webchat(http, "cus_maria")
            said = await chat.say(f"{UNSURE}; write to maria.other@example.com")
    assert [r["text"] for r in said["replies"]] == ["Thanks, noted."]
    sent = json.dumps(fake_llm.requests)
    assert len(fake_llm.requests) == 2
    assert "maria.other@example.com" not in sent
    assert sent.count("[EMAIL_1]") >= 2
