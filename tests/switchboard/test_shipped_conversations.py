"""The shipped `scenarios/conversations/` all pass (their own file: the two test workers
share the shipped scenarios)."""

from __future__ import annotations

from pathlib import Path

from tests.support.shipped_scenarios import SCENARIOS, assert_all_pass


def test_the_shipped_conversations_scenarios_all_pass(tmp_path: Path) -> None:
    assert_all_pass([SCENARIOS / "conversations"], tmp_path, at_least=20)
