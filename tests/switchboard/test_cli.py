"""The CLI as a user runs it: a real process, real database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env(url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SWITCHBOARD_", "TELEGRAM_", "SLACK_"))
    }
    env["SWITCHBOARD_DATABASE_URL"] = url
    return env


def test_upgrade_demo_load_twice_and_chat(tmp_path: Path) -> None:
    env = _env(f"sqlite:///{tmp_path / 'cli.db'}")
    assert _run(["db", "upgrade"], env).returncode == 0
    first = _run(["demo", "load"], env)
    assert "3 customers added" in first.stdout
    again = _run(["demo", "load"], env)
    assert "0 customers added" in again.stdout

    chat = _run(
        ["chat", "--as", "cus_maria"],
        env,
        stdin="My payment failed twice, but I was still charged. I need this fixed today.\n",
    )
    assert chat.returncode == 0, chat.stderr
    assert "duplicate charge" in chat.stdout and "SB-" in chat.stdout


def test_bad_config_fails_with_one_line_naming_the_key(tmp_path: Path) -> None:
    env = _env("mysql://nope")
    result = _run(["db", "upgrade"], env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]]
    assert "SWITCHBOARD_DATABASE_URL" in result.stderr

    env = _env(f"sqlite:///{tmp_path / 'x.db'}")
    env["SWITCHBOARD_POLICY"] = str(tmp_path / "missing.yaml")
    result = _run(["serve"], env)
    assert result.returncode == 2
    assert "SWITCHBOARD_POLICY" in result.stderr


def test_bad_policy_fails_at_start_naming_the_key(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "intents:\n  a:\n    examples: [x, y]\n    route: workflow:nope\n  b:\n    examples: [x, y]\n    route: human\n"
    )
    env = _env(f"sqlite:///{tmp_path / 'x.db'}")
    env["SWITCHBOARD_POLICY"] = str(policy)
    result = _run(["serve", "--port", "1"], env)
    assert result.returncode == 2
    assert "intents.a.route" in result.stderr


def test_intents_train_then_eval_with_the_model(tmp_path: Path) -> None:
    rows = ["text,category"]
    for intent, phrases in {
        "greeting": ["hello", "hi there", "good morning", "hey", "hello again", "hi"],
        "order_status": [
            "where is my order",
            "track my parcel",
            "has my order shipped",
            "when does my package arrive",
            "order status",
            "my delivery is late",
        ],
        "billing_issue": [
            "charged twice",
            "double charge on my card",
            "payment failed",
            "wrong amount billed",
            "my card was declined",
            "billed two times",
        ],
    }.items():
        rows += [f"{p},{intent}" for p in phrases]
    data = tmp_path / "intents.csv"
    data.write_text("\n".join(rows) + "\n")
    env = _env(f"sqlite:///{tmp_path / 'x.db'}")
    trained = _run(["intents", "train", "--data", str(data), "--out", str(tmp_path / "m.npz")], env)
    assert trained.returncode == 0, trained.stderr
    assert "saved to" in trained.stdout
    report = _run(["intents", "eval", "--data", str(data), "--model", str(tmp_path / "m.npz")], env)
    assert report.returncode == 0, report.stderr
    assert "accuracy" in report.stdout and "macro-F1" in report.stdout
    missing = _run(["intents", "eval", "--data", str(tmp_path / "nope.csv")], env)
    assert missing.returncode == 2 and "nope.csv" in missing.stderr
