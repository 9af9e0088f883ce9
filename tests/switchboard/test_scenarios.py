"""`switchboard eval` as CI runs it: the shipped scenarios all pass, and a failing
scenario says exactly what was expected and what happened."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard.cli.main import app
from switchboard.scenarios.report import format_json, format_text
from switchboard.scenarios.runner import RunReport, ScenarioReport, TurnReport
from tests.support import shipped_scenarios
from tests.support.databases import postgres_admin_url
from tests.support.shipped_scenarios import assert_all_pass

ROOT = Path(__file__).resolve().parents[2]

FAILING = """
scenarios:
  - name: sam expects a ticket he will not get
    customer: cus_sam
    turns:
      - say: "My payment failed twice, but I was still charged. I need this fixed today."
        expect:
          intent: order_status
          ticket: {category: billing, priority: high}
          reply_contains: ["SB-"]
      - say: "hi"
        expect: {intent: greeting}
  - name: telegram greeting passes
    channel: telegram
    turns:
      - say: "hello"
        expect: {intent: greeting, replies: 1}
  - name: needs a model
    needs_llm: true
    turns:
      - say: "hello"
"""


def test_the_shipped_scenarios_all_pass(tmp_path: Path) -> None:
    """All but the groups with a file of their own (tests/support/shipped_scenarios.py)."""
    assert_all_pass(shipped_scenarios.rest(), tmp_path, at_least=60)


async def test_the_shipped_scenarios_can_pass_with_a_model_too() -> None:
    """Offline runs cannot see these mistakes: a turn that expects the agent must say
    something the local classifier is unsure of (a sure one goes to its workflow and never
    reaches a model), and an opening turn it is unsure of reaches the model whenever one is
    configured, so it cannot expect no model calls."""
    from graph.policy import load_policy
    from switchboard.engine.classifier_cache import load_classifier
    from switchboard.scenarios import load_scenarios
    from switchboard.settings import DEFAULT_POLICY

    policy = load_policy(DEFAULT_POLICY)
    classifier = await load_classifier(policy)
    threshold = policy.classifier.threshold
    wrong: list[str] = []
    for item in load_scenarios([ROOT / "scenarios"]):
        if item.scenario.policy and set(item.scenario.policy) & {"classifier", "intents"}:
            continue
        for number, turn in enumerate(item.scenario.turns, start=1):
            if turn.say is None or not turn.say.strip():
                continue
            sure = classifier.predict(turn.text).confidence >= threshold
            if turn.expect.route == "agent" and sure:
                wrong.append(f"{item.where} turn {number}: expects the agent, classifier sure")
            opening = number == 1 and not (turn.expect.route or "").startswith("guard")
            if opening and turn.expect.max_llm_calls == 0 and not sure:
                wrong.append(f"{item.where} turn {number}: unsure, yet expects no model call")
    assert not wrong, "\n".join(wrong)


def test_a_failing_scenario_reports_what_was_expected_and_seen(tmp_path: Path) -> None:
    path = tmp_path / "failing.yaml"
    path.write_text(FAILING, encoding="utf-8")
    junit = tmp_path / "junit.xml"

    result = CliRunner().invoke(app, ["eval", str(path), "--junit", str(junit)])

    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"FAIL  sam expects a ticket he will not get  ({path}, webchat, cus_sam)"
    )
    assert lines[1].startswith("    1. say 'My payment failed twice")
    assert "-> workflow:billing_issue" in lines[1] and "[llm 0 calls, 0 tokens]" in lines[1]
    failures = [line.strip() for line in lines if line.strip().startswith("x ")]
    assert failures[0].startswith("x intent: expected order_status, saw billing_issue (confidence")
    assert failures[1].startswith(
        "x reply_contains: 'SB-' not in the reply; saw 'I checked your payments"
    )
    assert failures[2] == (
        "x ticket: expected one with category=billing, priority=high; saw no tickets"
    )
    assert len(failures) == 3  # turn 2 still ran, and passed
    assert any(line.startswith("    2. say 'hi': greeting") for line in lines)
    assert any(line.startswith("PASS  telegram greeting passes") for line in lines)
    assert any(
        line.startswith("SKIP  needs a model") and "run with --llm" in line for line in lines
    )
    assert lines[-1] == "1 passed, 1 failed, 1 skipped; 0 LLM calls, 0 tokens"

    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    failure = suite.find("testcase[@name='sam expects a ticket he will not get']/failure")
    assert failure is not None
    assert failure.get("message", "").startswith("intent: expected order_status")


def test_name_and_tag_filters(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(FAILING, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(path), "--name", "nothing like this"])
    assert result.exit_code == 2
    assert "no scenario matches" in result.output


def test_json_report_has_llm_use_per_turn() -> None:
    turn = TurnReport(
        number=1,
        label="say 'hi'",
        intent="greeting",
        confidence=0.91,
        route="workflow:greeting",
        llm_calls=2,
        tokens=350,
        failures=["max_tokens: expected at most 100, saw 350"],
    )
    scenario = ScenarioReport(
        name="costly", source="x.yaml", channel="webchat", customer=None, tags=[], turns=[turn]
    )
    scenario.status = "failed"
    report = RunReport([scenario], llm=True, ms=12.0)

    data = json.loads(format_json(report))
    assert (data["passed"], data["failed"], data["llm_calls"], data["tokens"]) == (0, 1, 2, 350)
    assert data["scenarios"][0]["turns"][0]["tokens"] == 350
    text = format_text(report)
    assert "greeting (0.91) -> workflow:greeting  [llm 2 calls, 350 tokens]" in text
    assert text.endswith("0 passed, 1 failed; 2 LLM calls, 350 tokens")


@pytest.mark.postgres
def test_each_scenario_gets_its_own_postgres_database(tmp_path: Path) -> None:
    from tests.support.databases import postgres_unavailable_reason

    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    seed = "My payment failed twice, but I was still charged. I need this fixed today."
    path = tmp_path / "pg.yaml"
    path.write_text(
        "scenarios:\n"
        + "".join(
            f"  - name: maria {n}\n    customer: cus_maria\n    turns:\n"
            f"      - say: {seed!r}\n        expect: {{reply_contains: 'ticket SB-1001'}}\n"
            for n in (1, 2)
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["eval", str(path), "--database-url", postgres_admin_url(), "--quiet"]
    )
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip().splitlines()[-1].startswith("2 passed, 0 failed")


LANGUAGES = """
scenarios:
  - name: a spanish visitor stays spanish
    turns:
      - say: "Hola, ¿dónde está mi pedido? No ha llegado todavía"
        expect: {language: es}
      - say: "ok"
        expect: {language: de}
"""


def test_a_scenario_checks_the_conversations_language(tmp_path: Path) -> None:
    path = tmp_path / "languages.yaml"
    path.write_text(LANGUAGES, encoding="utf-8")

    result = CliRunner().invoke(app, ["eval", str(path)])

    assert result.exit_code == 1
    failures = [
        line.strip() for line in result.stdout.splitlines() if line.strip().startswith("x ")
    ]
    assert failures == ["x language: expected de, saw es"]
