"""Shadow mode (`SWITCHBOARD_SHADOW_POLICY`): real web chat turns answered by the live
policy while a second one decides them again in a sandbox; only its decision is stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlmodel import col, select

from graph.runner import TurnRequest
from storage.db import create_engine, session_factory
from storage.models import ShadowDecision
from switchboard.api.analytics_page import analytics_page
from switchboard.replay.shadow import QUEUE_SIZE, Shadow
from switchboard.reports.report import Window, build_report
from switchboard.runtime import open_runtime
from switchboard.settings import ConfigError, Settings
from tests.conftest import make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.fake_service import FakeService
from tests.support.server import LiveServer, run_server
from tests.switchboard.test_policy_replay import SEED, crm, crm_policy, policy_file, row_counts

__all__ = ["crm"]  # the fixture, imported to be used here

ORDER = "where is my order?"


def shadow_of(live: LiveServer) -> Shadow:
    shadow = live.runtime.shadow
    assert shadow is not None
    return shadow


async def decisions(url: str) -> list[ShadowDecision]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.exec(select(ShadowDecision).order_by(col(ShadowDecision.id)))
            return list(rows.all())
    finally:
        await engine.dispose()


async def maria_s_turns(settings: Settings) -> tuple[list[dict[str, Any]], bool]:
    """Maria's two turns through the web chat API; their replies, and whether the server
    ran a shadow. Waits for the shadow to store what it decided."""
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        maria = await open_webchat(http, "cus_maria")
        replies = [(await maria.say(text))["replies"] for text in (SEED, ORDER)]
        await live.runtime.engine.settle()
        if live.runtime.shadow is not None:
            await live.runtime.shadow.drain()
        return [[r["text"] for r in turn] for turn in replies], live.runtime.shadow is not None


async def last_day(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await build_report(conn, Window.last(1))
    finally:
        await engine.dispose()


def without_checkpoints(counts: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in counts.items() if k != "checkpoints"} | {
        "threads": sorted({thread for thread, _ in counts["checkpoints"]})
    }


async def test_the_shadow_decides_each_turn_and_changes_nothing_live(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    faq = policy_file(tmp_path, {"intents.billing_issue.route": "workflow:faq"})
    plain = make_settings(databases.fresh())
    shadowed = make_settings(databases.fresh(), SWITCHBOARD_SHADOW_POLICY=str(faq))

    live_replies, ran = await maria_s_turns(plain)
    assert not ran and await decisions(plain.database_url) == []  # off by default
    replies, ran = await maria_s_turns(shadowed)
    assert ran

    billing, order = await decisions(shadowed.database_url)
    assert (billing.intent, billing.route, billing.agrees) == (
        "billing_issue",
        "workflow:faq",
        False,
    )
    assert "tickets.create" not in billing.tools and billing.node_path
    assert order.route == "workflow:order_status" and order.agrees
    assert billing.message_id < order.message_id and billing.policy_version
    # The customer saw what the live policy answers; one ticket (the live one), no
    # extra reply, notice or handoff, and the shadow kept no checkpoint.
    assert replies == live_replies
    counts = without_checkpoints(await row_counts(shadowed.database_url))
    assert counts["Ticket"] == 1
    assert counts == without_checkpoints(await row_counts(plain.database_url))

    # The analytics page: the agreement rate and the disagreement, live beside shadow.
    figures = await last_day(shadowed.database_url)
    assert figures["shadow"] == {
        "decisions": 2,
        "agreement_rate": 0.5,
        "disagreements": [
            {
                "live_intent": "billing_issue",
                "live_route": "workflow:billing_issue",
                "shadow_intent": "billing_issue",
                "shadow_route": "workflow:faq",
                "turns": 1,
            }
        ],
    }
    page = analytics_page(figures, [], window_days=1, channel=None)
    table = page[page.index('<table id="shadow">') :]
    assert "workflow:billing_issue" in table and "workflow:faq" in table and "50.0%" in page
    plain_figures = await last_day(plain.database_url)
    assert plain_figures["shadow"]["decisions"] == 0
    assert "Shadow policy" not in analytics_page(plain_figures, [], window_days=1, channel=None)


async def test_a_shadow_write_to_a_connector_is_never_made(
    sqlite_databases: DatabaseFactory, crm: FakeService, tmp_path: Path
) -> None:
    shadow_policy = crm_policy(tmp_path, crm.url)  # greetings log the contact in the CRM
    settings = make_settings(sqlite_databases.fresh(), SWITCHBOARD_SHADOW_POLICY=str(shadow_policy))
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        visitor = await open_webchat(http)
        assert (await visitor.say("hi"))["replies"]
        await live.runtime.engine.settle()
        await shadow_of(live).drain()

    assert crm.seen == []  # neither the write nor the read reached the CRM
    [hello] = await decisions(settings.database_url)
    assert hello.route == "workflow:crm_hello" and not hello.agrees
    assert hello.tools[0] == "crm.log_contact (would call)"


async def test_the_shadow_s_own_writes_leave_no_rows(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    hand_over = policy_file(tmp_path, {"intents.greeting.route": "human"})
    settings = make_settings(sqlite_databases.fresh(), SWITCHBOARD_SHADOW_POLICY=str(hand_over))
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        before = without_checkpoints(await row_counts(settings.database_url))
        maria = await open_webchat(http, "cus_maria")
        assert (await maria.say("hi"))["mode"] == "bot"
        await live.runtime.engine.settle()
        await shadow_of(live).drain()
        [hello] = await decisions(settings.database_url)
        assert hello.route == "human" and "tickets.create" in hello.tools  # nobody on staff
        # The shadow's ticket, its notice and the human mode were rolled back.
        after = without_checkpoints(await row_counts(settings.database_url))
        assert after["Ticket"] == before["Ticket"]
        assert after["Handoff"] == before["Handoff"]
        assert after["StaffNotification"] == before["StaffNotification"]
        assert (await maria.say(ORDER))["mode"] == "bot"


def dropped_total() -> float:
    return REGISTRY.get_sample_value("switchboard_shadow_dropped_total") or 0.0


async def test_a_full_queue_drops_and_counts_and_the_live_turn_goes_on(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    faq = policy_file(tmp_path, {"intents.billing_issue.route": "workflow:faq"})
    settings = make_settings(sqlite_databases.fresh(), SWITCHBOARD_SHADOW_POLICY=str(faq))
    before = dropped_total()
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        shadow = shadow_of(live)
        await shadow.stop()  # the worker paused: the queue fills
        for n in range(QUEUE_SIZE):  # turns with no trace: the worker skips them later
            shadow.offer(TurnRequest(conversation_id=0, message_id=-n, channel="webchat", text="x"))
        maria = await open_webchat(http, "cus_maria")
        turn = await maria.say(SEED)
        assert turn["replies"] and turn["route"] == "workflow:billing_issue"
        await live.runtime.engine.settle()
        assert shadow.dropped == 1 and dropped_total() == before + 1
        metrics = (await http.get("/metrics")).text
        assert "switchboard_shadow_dropped_total" in metrics
        shadow.start()
        await shadow.drain()

    assert await decisions(settings.database_url) == []  # the dropped turn was never run


def test_a_missing_shadow_policy_fails_in_one_line_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as failed:
        make_settings(
            f"sqlite:///{tmp_path / 'x.db'}", SWITCHBOARD_SHADOW_POLICY=str(tmp_path / "nope.yaml")
        )
    message = str(failed.value)
    assert message.startswith("config error: SWITCHBOARD_SHADOW_POLICY:") and "\n" not in message


async def test_a_broken_shadow_policy_fails_at_start_in_one_line(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("intents: [", encoding="utf-8")
    settings = make_settings(sqlite_databases.fresh(), SWITCHBOARD_SHADOW_POLICY=str(broken))
    with pytest.raises(ConfigError) as failed:
        async with open_runtime(settings):
            pass
    message = str(failed.value)
    assert message.startswith("config error: SWITCHBOARD_SHADOW_POLICY:") and "\n" not in message


def test_serve_refuses_a_missing_or_broken_shadow_policy_in_one_line(
    tmp_path: Path, repo_root: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("intents: [", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    for path in (tmp_path / "missing.yaml", broken):
        env["SWITCHBOARD_SHADOW_POLICY"] = str(path)
        served = subprocess.run(
            [sys.executable, "-m", "switchboard.cli.main", "serve", "--port", "1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=repo_root,
        )
        assert served.returncode == 2, served.stderr
        [line] = served.stderr.strip().splitlines()
        assert line.startswith("config error: SWITCHBOARD_SHADOW_POLICY:"), line
