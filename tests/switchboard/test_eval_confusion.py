"""`switchboard eval` sums up where the bot is confused: per expected -> got pair of
intents and of routes, how many failed turns and which ones."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from switchboard.cli.main import app

CONFUSED = """
scenarios:
  - name: refund asked as order status
    turns:
      - say: "Where is my order? It has not arrived yet."
        expect: {intent: refund_request, route: workflow:refund_request}
  - name: greets, then asks for a refund the bot reads as tracking
    turns:
      - say: "hello"
        expect: {intent: greeting}
      - say: "Can you track my parcel for me?"
        expect: {intent: refund_request}
"""

PASSING = """
scenarios:
  - name: a greeting is a greeting
    turns:
      - say: "hello"
        expect: {intent: greeting, route: workflow}
"""


def _eval(tmp_path: Path, text: str, *options: str) -> tuple[int, str, Path]:
    path = tmp_path / "confusion.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(path), *options])
    return result.exit_code, result.stdout, path


def test_the_report_counts_each_confused_pair_with_its_turns(tmp_path: Path) -> None:
    code, out, path = _eval(tmp_path, CONFUSED, "--quiet")

    assert code == 1
    lines = out.splitlines()
    start = lines.index("Confused intents (expected -> got: count)")
    assert lines[start : start + 7] == [
        "Confused intents (expected -> got: count)",
        "  refund_request -> order_status: 2",
        f"      {path}:refund asked as order status, turn 1",
        f"      {path}:greets, then asks for a refund the bot reads as tracking, turn 2",
        "Confused routes (expected -> got: count)",
        "  workflow:refund_request -> workflow:order_status: 1",
        f"      {path}:refund asked as order status, turn 1",
    ]
    assert lines[start + 7] == ""  # then the totals, last line unchanged
    assert lines[-1] == "0 passed, 2 failed; 0 LLM calls, 0 tokens"


def test_the_json_report_carries_the_same_confusion(tmp_path: Path) -> None:
    code, out, path = _eval(tmp_path, CONFUSED, "--json")

    assert code == 1
    assert json.loads(out)["confusion"] == [
        {
            "kind": "intent",
            "expected": "refund_request",
            "got": "order_status",
            "count": 2,
            "turns": [
                {"source": str(path), "scenario": "refund asked as order status", "turn": 1},
                {
                    "source": str(path),
                    "scenario": "greets, then asks for a refund the bot reads as tracking",
                    "turn": 2,
                },
            ],
        },
        {
            "kind": "route",
            "expected": "workflow:refund_request",
            "got": "workflow:order_status",
            "count": 1,
            "turns": [{"source": str(path), "scenario": "refund asked as order status", "turn": 1}],
        },
    ]


def test_a_passing_run_has_no_confusion(tmp_path: Path) -> None:
    code, out, _ = _eval(tmp_path, PASSING)
    assert code == 0
    assert "Confused" not in out
    code, out, _ = _eval(tmp_path, PASSING, "--json")
    assert json.loads(out)["confusion"] == []


def test_confusion_follows_the_expectation_semantics() -> None:
    """`handoff` is the policy's `human_handoff`, `route: workflow` is any workflow, a turn
    sent to clarify was not understood, a turn without a trace was never classified."""
    from switchboard.scenarios.report import confusion, confusion_lines
    from switchboard.scenarios.runner import RunReport, ScenarioReport, TurnReport

    def turn(number: int, expected: str, intent: str | None, route: str | None) -> TurnReport:
        return TurnReport(
            number=number,
            label="say '...'",
            expected_intent=expected,
            expected_route="workflow" if expected != "handoff" else None,
            intent=intent,
            route=route,
        )

    turns = [
        turn(1, "handoff", "human_handoff", "human"),
        turn(2, "faq", "faq", "workflow:faq"),
        turn(3, "faq", None, None),
        *(turn(n, "faq", "faq", "workflow:clarify") for n in range(4, 9)),
    ]
    scenario = ScenarioReport(
        name="s", source="x.yaml", channel="webchat", customer=None, tags=[], turns=turns
    )

    found = confusion(RunReport([scenario], llm=False))

    assert [(c.kind, c.expected, c.got, c.count) for c in found] == [
        ("intent", "faq", "clarify", 5)
    ]
    assert confusion_lines(found)[1:] == [
        "  faq -> clarify: 5",
        "      x.yaml:s, turn 4",
        "      x.yaml:s, turn 5",
        "      x.yaml:s, turn 6",
        "      and 2 more",
    ]
