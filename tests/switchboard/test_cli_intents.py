"""`switchboard intents eval` works from a fresh clone: a held-out set ships with it."""

from __future__ import annotations

from pathlib import Path

from tests.switchboard.test_cli import _env, _run


def test_eval_needs_no_file_of_your_own(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path / 'unused.db'}")
    env["SWITCHBOARD_CACHE_DIR"] = ""
    result = _run(["intents", "eval"], env)
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "human_handoff" in result.stdout
    assert "out of scope" in result.stdout  # the shipped set has `oos` rows
