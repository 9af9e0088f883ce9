"""`switchboard policy replay`: a day recorded through the real web chat API, replayed
through the unchanged policy (nothing changes), a changed one (exactly the turns it
concerns change), and one whose workflow writes to the company's system (never made);
the live database is the same afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, text
from sqlmodel import select

from graph.policy import load_policy
from storage.db import create_engine, session_factory
from storage.models import Approval, Handoff, Message, StaffNotification, Ticket, Trace
from switchboard.replay import ReplayReport, Selection, replay
from switchboard.replay.report import as_html, as_json, as_text
from switchboard.replay.source import stored_conversations
from switchboard.settings import Settings
from tests.conftest import make_settings, open_webchat
from tests.graph.test_agent import UNSURE, small_talk, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import run_fake_openai
from tests.support.fake_service import FakeService
from tests.support.server import run_server

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POLICY = ROOT / "switchboard" / "default_policy.yaml"
SEED = "My payment failed twice, but I was still charged. I need this fixed today."
DAY = [
    ("cus_maria", SEED),
    ("cus_maria", "Where is my order 1042?"),
    ("cus_sam", "I want a refund for order 2001"),
    (None, "how long do refunds take?"),
    (None, "hi"),
]


async def record_day(settings: Settings, day: list[tuple[str | None, str]] = DAY) -> None:
    """Each message in a conversation of its own, through the web chat API."""
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        for user, text in day:
            turn = await (await open_webchat(http, user)).say(text)
            assert turn["replies"], text


def policy_file(tmp_path: Path, change: dict[str, Any], name: str = "policy.yaml") -> Path:
    raw = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    for key, value in change.items():  # a dotted key: one value deep in the policy
        *parents, last = key.split(".")
        node = raw
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


async def row_counts(url: str) -> dict[str, Any]:
    """Rows of what a turn writes, and the stored checkpoints themselves."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            counts: dict[str, Any] = {
                table.__name__: (await session.exec(select(func.count()).select_from(table))).one()
                for table in (Ticket, Approval, Message, Trace, StaffNotification, Handoff)
            }
            checkpoints = await session.execute(
                text("SELECT thread_id, checkpoint_id FROM graph_checkpoints ORDER BY 1, 2")
            )
            counts["checkpoints"] = [tuple(row) for row in checkpoints.all()]
            return counts
    finally:
        await engine.dispose()


async def replayed(settings: Settings, path: Path, **options: Any) -> ReplayReport:
    return await replay(settings, load_policy(path), Selection(), policy_label=path.name, **options)


@pytest.fixture
async def day(databases: DatabaseFactory) -> AsyncIterator[Settings]:
    settings = make_settings(databases.fresh())
    await record_day(settings)
    yield settings


async def test_the_unchanged_policy_changes_nothing(day: Settings) -> None:
    before = await row_counts(day.database_url)
    assert before["Approval"] == 1 and before["Ticket"] == 1  # Sam's refund, Maria's charge
    assert len(before["checkpoints"]) >= 5

    report = await replayed(day, DEFAULT_POLICY)

    assert report.conversations == 5 and report.turns == 5
    assert report.changed == [] and report.changed_turns == 0, as_text(report)
    assert not report.llm and "no model" in as_text(report)
    assert await row_counts(day.database_url) == before


async def test_conversations_are_chosen_by_time_channel_and_limit_in_pages(day: Settings) -> None:
    now = datetime.now(UTC)
    policy = load_policy(DEFAULT_POLICY)
    later = await replay(day, policy, Selection(since=now + timedelta(hours=1)))
    assert later.conversations == 0
    elsewhere = await replay(
        day, policy, Selection(since=now - timedelta(hours=1), channel="slack")
    )
    assert elsewhere.conversations == 0
    two = await replay(day, policy, Selection(since=now - timedelta(days=7), limit=2))
    assert two.conversations == 2 and two.turns == 2

    engine = create_engine(day.database_url)
    try:
        seen = [
            (c.id, len(c.turns))
            async for c in stored_conversations(session_factory(engine), Selection(), page=1)
        ]
    finally:
        await engine.dispose()
    assert seen == [(1, 1), (2, 1), (3, 1), (4, 1), (5, 1)]


async def test_routing_billing_elsewhere_changes_exactly_the_billing_turn(
    day: Settings, tmp_path: Path
) -> None:
    before = await row_counts(day.database_url)
    changed = policy_file(tmp_path, {"intents.billing_issue.route": "workflow:faq"})

    public = day.model_copy(update={"public_url": "https://support.example.com"})
    report = await replayed(public, changed)

    assert report.turns == 5 and report.changed_turns == 1
    [turn] = report.changed
    assert turn.text == SEED
    assert turn.original.route == "workflow:billing_issue" and turn.replayed.route == "workflow:faq"
    assert turn.original.ticket == "billing/high" and turn.replayed.ticket is None
    assert {"route", "tools", "ticket"} <= set(turn.changed)
    assert "intent" not in turn.changed
    assert report.by_kind["route"] == 1 and report.by_kind["ticket"] == 1
    # The live database kept everything (the replay's own ticket and notice rolled back).
    assert await row_counts(day.database_url) == before
    link = f"https://support.example.com/admin/conversations/{turn.conversation_id}"
    assert link in as_text(report)
    data = json.loads(as_json(report))
    assert data["turns_changed"] == 1 and data["changed"][0]["replay"]["workflow"] == "faq"
    assert data["changed"][0]["admin_url"] == link
    page = as_html(report)
    assert "workflow:faq" in page and f"href='{link}'" in page
    assert "<script" not in page and "<link" not in page  # one self-contained page


async def test_a_decided_approval_is_decided_again_in_the_replay(
    sqlite_databases: DatabaseFactory, admin_headers: dict[str, str]
) -> None:
    settings = make_settings(sqlite_databases.fresh())
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        sam = await open_webchat(http, "cus_sam")
        await sam.say("I want a refund for order 2001")
        pending = (await http.get("/api/admin/approvals", headers=admin_headers)).json()
        [approval] = pending["approvals"]
        # Denied: an approved refund would be refunded now, and the replay reads the data
        # as it is now ("no payment that can be refunded").
        decided = await http.post(
            f"/api/admin/approvals/{approval['id']}",
            json={"decision": "deny"},
            headers=admin_headers,
        )
        assert decided.status_code == 200, decided.text
        await live.runtime.engine.settle()
        await sam.say("any update on my refund?")
        await sam.say("where is my order 2001?")

    report = await replayed(settings, DEFAULT_POLICY)

    assert report.turns == 3 and report.changed == [], as_text(report)
    assert report.approvals_decided == 1


async def test_turns_with_a_person_are_skipped_and_an_earlier_handoff_takes_the_rest(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    settings = make_settings(sqlite_databases.fresh())
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        await live.add_staff()  # someone answers a handoff
        maria = await open_webchat(http, "cus_maria")
        assert (await maria.say("hi"))["mode"] == "bot"
        assert (await maria.say("I want to talk to a human"))["mode"] == "human"
        await maria.say("hello? is anyone there?")  # relayed to staff: no bot turn

    report = await replayed(settings, DEFAULT_POLICY)
    assert report.turns == 2 and report.changed == [], as_text(report)
    assert report.skipped == {"with a person": 1}
    assert "1 with a person" in as_text(report)

    # Greetings handed over: the second turn never reaches the bot.
    hand_over = policy_file(tmp_path, {"intents.greeting.route": "human"})
    report = await replayed(settings, hand_over)
    first, second = report.changed
    assert first.replayed.handoff and "handoff" in first.changed
    assert second.replayed.route == "with a person" and second.original.handoff


async def test_no_model_unless_asked_and_the_model_s_calls_are_compared(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    async with run_fake_openai() as model:
        policy = write_policy(tmp_path)  # the local classifier is unsure of everything
        settings = make_settings(
            sqlite_databases.fresh(),
            SWITCHBOARD_LLM_MODEL="fake-model",
            SWITCHBOARD_LLM_BASE_URL=model.url,
            OPENAI_API_KEY="sk-test",
            SWITCHBOARD_POLICY=str(policy),
        )
        model.queue(small_talk("Happy to help with payments and orders."))
        await record_day(settings, [("cus_maria", UNSURE)])
        asked = len(model.requests)
        assert asked >= 1

        without = await replayed(settings, policy)
        assert len(model.requests) == asked  # never called
        [turn] = without.changed
        assert "llm" in turn.changed and turn.original.llm_calls >= 1
        assert turn.replayed.llm_calls == 0 and "no model" in as_text(without)

        model.queue(small_talk("Happy to help with payments and orders."))
        with_model = await replayed(settings, policy, llm=True)
        assert with_model.llm and with_model.changed == [], as_text(with_model)
        assert len(model.requests) == 2 * asked


# --- a workflow that reads from and writes to the company's own system ----------------


def crm_policy(tmp_path: Path, url: str) -> Path:
    """The default policy, greetings answered by a workflow that looks the visitor up and
    logs the contact in a CRM (a write)."""
    return policy_file(
        tmp_path,
        {
            "connectors": {
                "crm": {
                    "kind": "http",
                    "base_url": url,
                    "headers": {"Authorization": "Bearer crm-token"},
                    "timeout_s": 2,
                    "tools": {
                        "opening_hours": {"path": "/hours", "public": True},
                        "log_contact": {
                            "method": "POST",
                            "path": "/contacts",
                            "public": True,
                            "risk": "write",
                            "parameters": {
                                "type": "object",
                                "properties": {"topic": {"type": "string"}},
                                "required": ["topic"],
                            },
                            "body": {"topic": "{{ args.topic }}"},
                        },
                    },
                }
            },
            "intents.greeting.route": "workflow:crm_hello",
            "workflows.crm_hello": {
                "label": {"en": "hello"},
                "requires": "anyone",
                "steps": [
                    {"call": "crm.log_contact", "with": {"topic": "greeting"}, "as": "logged"},
                    {"call": "crm.opening_hours", "as": "hours"},
                    {"reply": {"en": "Hello! We are open {{ hours.open }}."}},
                    {"end": "resolved"},
                ],
            },
        },
        name="crm.yaml",
    )


@pytest.fixture
async def crm() -> AsyncIterator[FakeService]:
    fake = FakeService(token="crm-token")
    fake.route("GET", "/hours", lambda seen: {"open": "9-17"})
    fake.route("POST", "/contacts", lambda seen: {"logged": True})
    await fake.start()
    yield fake
    await fake.stop()


async def test_a_replayed_write_is_never_made_and_reads_come_from_the_trace(
    databases: DatabaseFactory, crm: FakeService, tmp_path: Path
) -> None:
    policy = crm_policy(tmp_path, crm.url)
    settings = make_settings(databases.fresh(), SWITCHBOARD_POLICY=str(policy))
    await record_day(settings, [(None, "hi"), (None, "hello there")])
    assert [s.method for s in crm.seen] == ["POST", "GET", "POST", "GET"]
    crm.seen.clear()

    report = await replayed(settings, policy)

    assert crm.seen == []  # neither the write nor the reads reached the CRM
    assert report.turns == 2 and report.changed == [], as_text(report)
    assert report.connector_calls == {"would call": 2, "from trace": 2}

    # A policy that calls the write where the original did not: still only recorded.
    raw = yaml.safe_load(policy.read_text(encoding="utf-8"))
    raw["intents"]["billing_issue"]["route"] = "workflow:crm_hello"
    moved = tmp_path / "moved.yaml"
    moved.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    await record_day(settings, [("cus_maria", SEED)])
    crm.seen.clear()

    report = await replayed(settings, moved)

    assert crm.seen == []
    [turn] = report.changed
    assert turn.replayed.route == "workflow:crm_hello"
    assert turn.replayed.tools[:2] == ["crm.log_contact (would call)", "crm.opening_hours"]
    assert report.connector_calls["not recorded"] == 1

    # --live-reads: the reads are made, the writes still are not.
    report = await replayed(settings, moved, live_reads=True)
    assert {s.method for s in crm.seen} == {"GET"}


def test_the_command_reports_and_fails_in_one_line(tmp_path: Path, repo_root: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_PUBLIC_URL": "http://x"}
    from storage.migrate import upgrade

    upgrade(url)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "switchboard.cli.main", "policy", "replay", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            cwd=repo_root,
        )

    broken = tmp_path / "broken.yaml"
    broken.write_text("intents: [", encoding="utf-8")
    for args in (
        [str(broken)],
        [str(tmp_path / "missing.yaml")],
        [str(DEFAULT_POLICY), "--since", "soon"],
        [str(DEFAULT_POLICY), "--limit", "0"],
    ):
        failed = run(*args)
        assert failed.returncode == 2, failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1, failed.stderr

    ran = run(str(DEFAULT_POLICY), "--json", "--html", str(tmp_path / "r.html"))
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["turns_replayed"] == 0
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")
