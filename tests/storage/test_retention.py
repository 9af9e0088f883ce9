"""Retention pruning and GDPR erasure, through the CLI, on both databases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import select

from storage.db import create_engine, session_factory
from storage.models import Conversation, Customer, Message, Ticket
from switchboard.settings import Settings
from tests.conftest import open_webchat
from tests.support.processes import clean_env
from tests.support.rows import scalar
from tests.support.server import run_server

SEED = "My payment failed twice, but I was still charged. I need this fixed today."


def _cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", *args],
        env=clean_env(SWITCHBOARD_DATABASE_URL=database_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def _age_all_conversations(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE conversations SET updated_at = :old"),
                {"old": "2020-01-01 00:00:00"},
            )
    finally:
        await engine.dispose()


async def test_prune_removes_quiet_conversations_but_not_handoffs(
    settings: Settings, database_url: str
) -> None:
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        await live.add_staff()  # someone to wait for
        maria = await open_webchat(http, "cus_maria")
        kept_ticket = (await maria.say(SEED))["conversation_id"]
        waiting = await open_webchat(http)
        handoff = (await waiting.say("I want to talk to a human"))["conversation_id"]
    await _age_all_conversations(database_url)
    assert await scalar(database_url, "SELECT COUNT(*) FROM graph_checkpoints") > 0

    dry = _cli(database_url, "db", "prune", "--older-than", "90d", "--dry-run")
    assert "would prune 1 conversations" in dry.stdout, dry.stderr
    result = _cli(database_url, "db", "prune", "--older-than", "90d")
    assert result.returncode == 0, result.stderr
    assert "pruned 1 conversations, 2 messages" in result.stdout

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            assert await session.get(Conversation, kept_ticket) is None
            assert await session.get(Conversation, handoff) is not None  # a person is on it
            tickets = (await session.exec(select(Ticket))).all()
            assert any(t.category == "billing" and t.conversation_id is None for t in tickets)
    finally:
        await engine.dispose()
    assert (
        await scalar(
            database_url,
            f"SELECT COUNT(*) FROM graph_checkpoints WHERE thread_id = '{kept_ticket}'",
        )
        == 0
    )


async def test_erase_blanks_a_customer_everywhere(settings: Settings, database_url: str) -> None:
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        maria = await open_webchat(http, "cus_maria")
        conversation_id = (await maria.say(SEED))["conversation_id"]
        sam = await open_webchat(http, "cus_sam")
        await sam.say(SEED)

    assert _cli(database_url, "customers", "link", "cus_maria", "stripe", "cus_1").returncode == 0
    result = _cli(database_url, "customers", "erase", "cus_maria")
    assert result.returncode == 0, result.stderr
    assert "erased cus_maria: 1 conversations, 2 messages" in result.stdout
    assert _cli(database_url, "customers", "erase", "cus_nobody").returncode == 2

    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            texts = (
                await session.exec(
                    select(Message.text).where(Message.conversation_id == conversation_id)
                )
            ).all()
            assert set(texts) == {"[erased]"}
            customers = {c.user_id: c for c in (await session.exec(select(Customer))).all()}
            assert "cus_maria" not in customers and "cus_sam" in customers
            erased = next(c for k, c in customers.items() if k.startswith("erased:"))
            assert erased.email is None and erased.name is None and erased.external_ids == {}
            sam_texts = (await session.exec(select(Message.text))).all()
            assert any("no duplicate charge" in t for t in sam_texts)  # others untouched
    finally:
        await engine.dispose()
    assert (
        await scalar(
            database_url,
            f"SELECT COUNT(*) FROM graph_checkpoints WHERE thread_id = '{conversation_id}'",
        )
        == 0
    )
    assert await scalar(database_url, "SELECT COUNT(*) FROM webchat_sessions") == 1  # Sam's


async def test_erasing_a_customer_whose_turn_staff_labelled_drops_cached_models(
    settings: Settings, database_url: str, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        maria = await open_webchat(http, "cus_maria")
        turn = await maria.say("my card thing is weird")
        detail = await http.get(
            f"/api/admin/conversations/{turn['conversation_id']}", headers=admin_headers
        )
        trace_id = detail.json()["traces"][0]["id"]
        labelled = await http.post(
            f"/api/admin/turns/{trace_id}/label",
            json={"intent": "billing_issue"},
            headers=admin_headers,
        )
        assert labelled.status_code == 200, labelled.text
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "intents-trained-with-maria.npz").write_bytes(b"model")
    (cache / "unrelated.txt").write_text("kept")

    result = _cli(database_url, "customers", "erase", "cus_maria", SWITCHBOARD_CACHE_DIR=str(cache))
    assert result.returncode == 0, result.stderr
    assert "1 intent corrections" in result.stdout
    assert "deleted 1 cached intent models" in result.stdout
    assert [p.name for p in cache.iterdir()] == ["unrelated.txt"]
