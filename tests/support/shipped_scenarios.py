"""The shipped scenarios run as CI runs them (`switchboard eval`), in a few groups, each
in its own test file so the two test workers share them (`--dist loadfile`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from switchboard.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
#: Groups with a test file of their own; every other file and folder runs in the main one.
SEPARATE = ("conversations", "understanding")


def rest() -> list[Path]:
    return sorted(p for p in SCENARIOS.iterdir() if p.name not in SEPARATE)


def assert_all_pass(paths: list[Path], tmp_path: Path, *, at_least: int) -> None:
    junit = tmp_path / "junit.xml"
    args = ["eval", *map(str, paths), "--junit", str(junit)]
    result = CliRunner().invoke(app, args)

    last = result.stdout.strip().splitlines()[-1]
    assert result.exit_code == 0, result.stdout
    assert " 0 failed" in last and last.endswith("0 LLM calls, 0 tokens"), last
    passed = int(last.split()[0])
    assert passed >= at_least
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "0"
    assert int(suite.get("tests", "0")) >= passed
