"""`switchboard connectors check` against Fibrelink's account system (the example's
stand-in, a real process), and a connector that cannot start stopping `serve` in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "broadband"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SWITCHBOARD_", "TELEGRAM_", "SLACK_", "FIBRELINK_"))
    }
    env["SWITCHBOARD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    env["SWITCHBOARD_POLICY"] = str(EXAMPLE / "policy.yaml")
    return env | extra


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.fixture
def account_api() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE / "account_api.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_check_prints_one_line_per_connector(tmp_path: Path, account_api: str) -> None:
    done = _cli(["connectors", "check"], _env(tmp_path, FIBRELINK_API_URL=account_api))

    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert line.split()[:3] == ["accounts", "http", "ok"]
    assert "3 tools" in line and "GET /health 200" in line


def test_check_fails_for_a_system_that_does_not_answer(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    done = _cli(["connectors", "check"], _env(tmp_path, FIBRELINK_API_URL=dead))

    assert done.returncode == 1
    assert done.stdout.split()[:3] == ["accounts", "http", "FAILED"]
    assert f"could not reach {dead}" in done.stdout


def test_serve_stops_in_one_line_for_a_connector_that_cannot_start(tmp_path: Path) -> None:
    policy = yaml.safe_load((EXAMPLE / "policy.yaml").read_text(encoding="utf-8"))
    policy["connectors"]["accounts"] = {
        "kind": "http",
        "base_url": "http://127.0.0.1:9",
        "customer_ref": "fibrelink",
        "openapi": str(ROOT / "tests" / "tools" / "data" / "isp_openapi.yaml"),
        # The workflows' tools, by names the document does not have.
        "operations": {
            "current_plan": {},
            "line_test": {},
            "change_plan": {"risk": "sensitive"},
        },
    }
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    env = _env(tmp_path, SWITCHBOARD_POLICY=str(path))
    assert _cli(["db", "upgrade"], env).returncode == 0

    done = _cli(["serve", "--port", str(free_port())], env)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"policy error: {path}: connectors.accounts.operations.current_plan: no operation with "
        f"that operationId in {policy['connectors']['accounts']['openapi']}"
    ]
