"""examples/broadband, a second company written without Python: its scenarios all pass
through the same machinery as the shipped suite (its policy, its demo.yaml, its help
centre), every written workflow is exercised by one, and the CLI serves its data."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from graph.policy import load_policy
from switchboard.scenarios import load_scenarios, run_scenarios
from tests.conftest import make_settings
from tests.support.fibrelink import account_system
from tests.support.local_site import serve_locally

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "broadband"
POLICY = EXAMPLE / "policy.yaml"


@pytest.fixture
async def accounts(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """Fibrelink's account system (the example's stand-in) on a free port, the policy's
    `accounts` connector pointed at it."""
    system = account_system("test-token")
    runner, base = await serve_locally(system.app())
    monkeypatch.setenv("FIBRELINK_API_URL", base)
    monkeypatch.setenv("FIBRELINK_API_TOKEN", "test-token")
    yield system
    await runner.cleanup()


async def test_every_broadband_scenario_passes(tmp_path: Path, accounts: Any) -> None:
    loaded = load_scenarios([EXAMPLE / "scenarios"])
    assert len(loaded) >= 15
    settings = make_settings(f"sqlite:///{tmp_path / 'unused.db'}", SWITCHBOARD_POLICY=str(POLICY))

    report = await run_scenarios(loaded, settings)

    failed = [
        f"{s.name}: turn {t.number} {t.label}: {'; '.join(t.failures)}"
        for s in report.scenarios
        for t in s.turns
        if t.failures
    ] + [f"{s.name}: {s.reason}" for s in report.scenarios if s.reason]
    assert not failed, "\n".join(failed)
    assert report.count("passed") == len(loaded)
    assert report.llm_calls == 0
    # The approved plan change reached the account system once (its Idempotency-Key).
    assert [change["plan"] for change in accounts.changes] == ["Fast"]


def test_every_written_workflow_has_a_scenario() -> None:
    policy = load_policy(POLICY)
    written = {name for name in policy.workflows if policy.written(name)}
    assert len(written) >= 4
    routed = {
        turn.expect.route.removeprefix("workflow:")
        for item in load_scenarios([EXAMPLE / "scenarios"])
        for turn in item.scenario.turns
        if turn.expect.route
    }
    assert written <= routed, f"no scenario routes to {sorted(written - routed)}"


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_demo_load_takes_the_policy_s_own_company(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SWITCHBOARD_", "TELEGRAM_", "SLACK_"))
    }
    env["SWITCHBOARD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'fibrelink.db'}"
    env["SWITCHBOARD_POLICY"] = str(POLICY)
    assert _run(["db", "upgrade"], env).returncode == 0

    first = _run(["demo", "load"], env)
    assert first.returncode == 0, first.stderr
    assert "demo.yaml: 3 customers added, 4 orders added, 7 charges added" in first.stdout
    assert "demo help centre: imported 8" in first.stdout
    again = _run(["demo", "load"], env)
    assert "0 customers added" in again.stdout and "unchanged 8" in again.stdout

    found = _run(["kb", "search", "what do the lights on the hub mean", "--k", "1"], env)
    assert "Setting up your Fibrelink Hub" in found.stdout


async def test_an_unreachable_account_system_gets_an_honest_answer_and_a_ticket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.server import free_port

    monkeypatch.setenv("FIBRELINK_API_URL", f"http://127.0.0.1:{free_port()}")  # nothing there
    written = tmp_path / "down.yaml"
    written.write_text(
        """
scenarios:
  - name: the line cannot be tested, so the network team gets a ticket anyway
    customer: cus_tom
    turns:
      - say: "my broadband is slow"
        expect: {asks_for: restarted}
      - say: "yes"
        expect:
          tools: [accounts.line_test, tickets.create, notify.staff]
          ticket: {category: network}
          reply_contains: ["couldn't test your line", "ticket SB-"]
  - name: a plan change is not promised when the account system is down
    customer: cus_priya
    turns:
      - say: "I'd like to upgrade my broadband"
        expect:
          intent: plan_change
          reply_contains: ["can't reach our account system"]
          quick_replies: ["Talk to a person"]
          tools_not_called: [approvals.request]
""",
        encoding="utf-8",
    )
    settings = make_settings(f"sqlite:///{tmp_path / 'unused.db'}", SWITCHBOARD_POLICY=str(POLICY))
    loaded = load_scenarios([written])
    report = await run_scenarios(loaded, settings)

    failed = [f"{s.name}: {t.failures}" for s in report.scenarios for t in s.turns if t.failures]
    assert not failed and report.count("passed") == 2, failed
