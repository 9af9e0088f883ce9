"""Scenario files: every mistake is one line naming file, scenario and key."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard.cli.main import app
from switchboard.scenarios.loader import (
    ScenarioFormatError,
    check_names,
    load_file,
    load_scenarios,
)
from switchboard.scenarios.sandbox import _unknown_key

VALID_TURN = "    turns:\n      - say: hi\n"


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioFormatError) as caught:
        load_file(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "scenarios:\n  - name: greet\n    turns:\n      - say: hi\n        expect: {intnet: greeting}\n",
            "scenario 'greet': turn 1: expect.intnet: unknown key (allowed: intent, route,",
        ),
        (
            "scenarios:\n  - name: t\n    turns:\n      - say: hi\n      - say: x\n        expect:\n          ticket: {categry: billing}\n",
            "scenario 't': turn 2: expect.ticket.categry: unknown key (allowed: category,",
        ),
        (
            "scenarios:\n  - name: s\n    custmer: cus_maria\n" + VALID_TURN,
            "scenario 's': custmer: unknown key (allowed: name, channel, customer,",
        ),
        (
            "scenarios:\n  - name: c\n    channel: sms\n" + VALID_TURN,
            "scenario 'c': channel: Input should be 'webchat', 'telegram' or 'slack'",
        ),
        (
            "scenarios:\n  - name: m\n    turns:\n      - say: hi\n        expect: {mode: robot}\n",
            "scenario 'm': turn 1: expect.mode: Input should be 'bot', 'human' or 'closed'",
        ),
        (
            "scenarios:\n  - name: r\n    turns:\n      - say: hi\n        expect: {route: flow}\n",
            "scenario 'r': turn 1: expect.route: unknown route 'flow'",
        ),
        (
            "scenarios:\n  - name: both\n    turns:\n      - say: hi\n        approve: true\n",
            "scenario 'both': turn 1: each turn needs exactly one of `say` or `approve`",
        ),
        (
            "scenarios:\n  - name: e\n    turns: []\n",
            "scenario 'e': turns: List should have at least 1",
        ),
        ("scenarios:\n  - turns: [{say: hi}]\n", "scenario #1: name: Field required"),
        ("scenarios: [{name: x, turns: [{say: hi}]}]\nsuite: 1\n", "suite: unknown key"),
        ("just text\n", "expected a mapping with a `scenarios:` list"),
        ("scenarios:\n  - name: y\n   turns: []\n", "not valid YAML (line 3)"),
    ],
)
def test_format_errors_name_file_scenario_and_key(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _error(tmp_path, text)


def test_short_forms_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "ok.yml"
    path.write_text(
        "scenarios:\n  - name: ok\n    tags: smoke\n    turns:\n"
        "      - say: hi\n        expect: {reply_contains: hello, entities: urgent}\n"
        "      - say: 'a'\n        repeat: 3\n",
        encoding="utf-8",
    )
    [loaded] = load_file(path)
    turn = loaded.scenario.turns[0]
    assert turn.expect.reply_contains == ["hello"] and turn.expect.entities == ["urgent"]
    assert loaded.scenario.tags == ["smoke"]
    assert loaded.scenario.turns[1].text == "aaa"


def test_directories_duplicates_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("scenarios: [{name: same, turns: [{say: hi}]}]\n")
    (tmp_path / "b.yaml").write_text("scenarios: [{name: same, turns: [{say: ho}]}]\n")
    with pytest.raises(ScenarioFormatError, match=r"b\.yaml: scenario 'same': name: duplicate"):
        load_scenarios([tmp_path])
    with pytest.raises(ScenarioFormatError, match="no such file or directory"):
        load_scenarios([tmp_path / "nope.yaml"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScenarioFormatError, match="no scenario files"):
        load_scenarios([empty])


def test_unknown_intent_and_tool_names_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "names.yaml"
    path.write_text(
        "scenarios:\n  - name: n\n    turns:\n"
        "      - say: hi\n        expect: {intent: handoff}\n"
        "      - say: hi\n        expect: {intent: clarify, tools_not_called: [payment.refund]}\n",
        encoding="utf-8",
    )
    loaded = load_file(path)
    with pytest.raises(
        ScenarioFormatError, match=r"turn 2: expect.tools_not_called: unknown tool 'payment.refund'"
    ):
        check_names(loaded, intents=["human_handoff"], tools=["payments.refund"])
    path.write_text(
        "scenarios:\n  - name: n\n    turns:\n      - say: hi\n        expect: {intent: biling}\n"
    )
    with pytest.raises(
        ScenarioFormatError, match=r"scenario 'n': turn 1: expect.intent: unknown intent 'biling'"
    ):
        check_names(load_file(path), intents=["billing_issue"], tools=[])


def test_a_misspelt_policy_override_is_found() -> None:
    known = {"escalation": {"urgent_to_human": False}, "company": "Acme"}
    assert _unknown_key({"escalation": {"urgent_to_humans": True}}, known) == (
        "escalation.urgent_to_humans"
    )
    assert _unknown_key({"escalation": {"urgent_to_human": True}}, known) is None


def test_cli_exits_2_with_one_line_on_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("scenarios:\n  - name: greet\n    turns:\n      - sey: hi\n")
    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"{path}: scenario 'greet': turn 1: sey: unknown key (allowed: say, repeat, approve, expect)"
    )
