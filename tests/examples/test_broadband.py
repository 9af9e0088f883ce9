"""examples/broadband, a second company written without Python: its scenarios all pass
through the same machinery as the shipped suite (its policy, its demo.yaml, its help
centre), every written workflow is exercised by one, and the CLI serves its data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from graph.policy import load_policy
from switchboard.scenarios import load_scenarios, run_scenarios
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "broadband"
POLICY = EXAMPLE / "policy.yaml"


async def test_every_broadband_scenario_passes(tmp_path: Path) -> None:
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
        [sys.executable, "-m", "switchboard.cli", *args],
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
