"""`switchboard policy check | schema | graph` as a user runs them: a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from switchboard.policy_tools.schema import SCHEMA_FILE, SCHEMA_LINE, schema_text

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "switchboard" / "default_policy.yaml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", "policy", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_passes_the_shipped_policy_with_a_summary() -> None:
    result = _run("check")
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout and "intents" in result.stdout and "steps" in result.stdout


def test_check_prints_file_line_and_key_of_each_problem(tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8")
    text = text.replace(
        "\nworkflows:\n",
        "\nworkflows:\n  plan_change:\n    label: your plan\n    steps:\n      - call: orders.gett\n",
    )
    text = text.replace("route: workflow:billing_issue", "route: workflow:billing_isue", 1)
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    result = _run("check", str(path))
    assert result.returncode == 1
    lines = text.splitlines()
    printed = result.stderr.strip().splitlines()
    assert len(printed) == 2, printed
    for problem, needle, key in (
        (printed[0], "route: workflow:billing_isue", "intents.billing_issue.route"),
        (printed[1], "- call: orders.gett", "workflows.plan_change.steps[0].call"),
    ):
        file, line, rest = problem.split(":", 2)
        assert file == str(path) and rest.startswith(f" {key}: ")
        assert lines[int(line) - 1].strip() == needle


def test_schema_is_json_and_the_shipped_copy_is_current() -> None:
    result = _run("schema")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    step = schema["$defs"]["WorkflowPolicy"]["properties"]["steps"]["anyOf"][0]["items"]
    kinds = {ref["$ref"].rsplit("/", 1)[1] for ref in step["oneOf"]}
    assert {"Ask", "Call", "If", "Say", "Ticket", "Notify", "Handoff", "End"} <= kinds
    assert schema["$defs"]["Call"]["additionalProperties"] is False
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        "switchboard/policy.schema.json is out of date: "
        "switchboard policy schema > switchboard/policy.schema.json"
    )


def test_the_shipped_policies_point_editors_at_the_schema() -> None:
    assert DEFAULT_POLICY.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE
    examples = sorted((DEFAULT_POLICY.parents[1] / "examples").glob("*/policy.yaml"))
    for policy in [DEFAULT_POLICY, *examples]:
        first = policy.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), policy
        assert (policy.parent / first.split("$schema=", 1)[1]).resolve() == SCHEMA_FILE, policy


def test_graph_draws_intents_routes_and_workflows() -> None:
    result = _run("graph")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("flowchart TD\n")
    assert "i_billing_issue --> w_billing_issue" in out
    assert "r_human" in out and 'subgraph g_billing_issue["billing_issue"]' in out
    one = _run("graph", "--workflow", "billing_issue").stdout
    assert "g_billing_issue" in one and "g_order_status" not in one
    missing = _run("graph", "--workflow", "nope")
    assert missing.returncode == 2 and "no workflow 'nope'" in missing.stderr


def test_serve_refuses_a_broken_policy_with_the_same_lines(tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace(
        "route: workflow:billing_issue", "route: workflow:billing_isue", 1
    )
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
    env["SWITCHBOARD_POLICY"] = str(path)
    env["SWITCHBOARD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", "serve", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    line = text.splitlines().index(next(x for x in text.splitlines() if "billing_isue" in x)) + 1
    assert result.stderr.strip() == (
        f"{path}:{line}: intents.billing_issue.route: "
        "no workflow 'billing_isue' (write it under workflows:)"
    )
