"""`switchboard report` and `switchboard customers export` as a user runs them: a real
process on a real database holding the hand-built conversations."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer

from switchboard.cli.report import parse_moment
from tests.support.databases import DatabaseFactory
from tests.support.report_data import load_report_data


def run(args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def url(sqlite_databases: DatabaseFactory) -> str:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    url = sqlite_databases.fresh()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, load_report_data(url)).result()
    return url


def test_report_json_and_table(url: str) -> None:
    window = ["--since", "2030-01-01", "--until", "2030-01-03"]
    result = run(["report", *window, "--json"], url)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["conversations"] == 4 and figures["delivery_failures"] == 1
    assert figures["first_response_ms"]["bot"] == {"p50": 400.0, "p90": 1000.0}

    table = run(["report", *window, "--channel", "telegram"], url)
    assert table.returncode == 0, table.stderr
    assert "Conversations" in table.stdout and "agent:budget" in table.stdout
    assert "billing_issue" in table.stdout and "50.0%" in table.stdout
    assert [row["language"] for row in figures["languages"]] == ["es", "en", None]
    assert "language" in table.stdout and "  es " in table.stdout
    everything = run(["report", *window], url).stdout
    assert "policy version" in everything
    assert everything.index("aaaa1111") < everything.index("bbbb2222")  # before, after


def test_moments() -> None:
    now = datetime(2030, 1, 10, tzinfo=UTC)
    assert parse_moment("7d", now=now) == datetime(2030, 1, 3, tzinfo=UTC)
    assert parse_moment("12h", now=now) == datetime(2030, 1, 9, 12, tzinfo=UTC)
    assert parse_moment("2030-01-01", now=now) == datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(typer.BadParameter, match="use 7d"):
        parse_moment("last tuesday", now=now)


def test_customer_export_holds_everything(url: str, tmp_path: Path) -> None:
    out = tmp_path / "rita.json"
    result = run(["customers", "export", "cus_report", "--output", str(out)], url)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text())
    assert document["customer"]["email"] == "rita@example.com"
    [conversation] = document["conversations"]
    assert [m["text"] for m in conversation["messages"] if m["role"] == "customer"] == [
        "Where is order 1042?",
        "and the other one? mail me at rita@example.com",
    ]
    assert conversation["csat"]["score"] == 5 and len(conversation["turns"]) == 2
    assert "token_hash" not in json.dumps(document)

    missing = run(["customers", "export", "cus_nobody"], url)
    assert missing.returncode == 2 and "cus_nobody" in missing.stderr
