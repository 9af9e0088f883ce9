"""`make test-llm`: start a local model (tests/llm/local_model.py) unless `--url` names
one, run the shipped scenarios offline and with `--llm`, then this package's tests against
the model, and print one table: per group pass/fail, model calls, tokens and seconds per
turn, and how often the agent reached a tool.

    python -m tests.llm.run                      # everything, about 15 minutes on 2 cores
    python -m tests.llm.run --only unsure --limit 3
    python -m tests.llm.run --url http://127.0.0.1:8080/v1 --scenarios-name refund

Every request to the model and its answer is written to `<out>/model_calls.jsonl`.
Exit status 1 when a group failed, 2 when the model server could not be started.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.llm.recorder import recording

ROOT = Path(__file__).resolve().parents[2]
GROUPS = ("offline", "scenarios", "agent", "unsure")
# The agent's honest fallbacks begin so (graph/prompts.py); kept literal so that another
# checkout (`--checkout`) is measured by the same rule.
FALLBACK_STARTS = (
    "I want to make sure you get an accurate answer",
    "I'm having trouble answering that right now",
    "I've reached the limit of what I can look into",
)


@dataclass
class Group:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    turns: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""

    def row(self) -> dict[str, Any]:
        turns = self.turns
        asked = [t for t in turns if t.get("llm_calls")]
        agent = [t for t in turns if t.get("route") == "agent"]
        tooled = [
            t for t in agent if any(x.startswith(("orders.", "payments.")) for x in t["tools"])
        ]
        fell = [t for t in agent if any(r.startswith(FALLBACK_STARTS) for r in t["replies"])]
        n = len(turns) or 1
        return {
            "group": self.name,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "turns": len(turns),
            "model_turns": len(asked),
            "calls_per_turn": round(sum(t["llm_calls"] for t in turns) / n, 2),
            "tokens_per_turn": round(sum(t["tokens"] for t in turns) / n),
            "s_per_turn": round(sum(t["ms"] for t in turns) / n / 1000, 1),
            "s_per_model_turn": round(sum(t["ms"] for t in asked) / (len(asked) or 1) / 1000, 1),
            "agent_turns": len(agent),
            "agent_reached_tool": len(tooled),
            "agent_fell_back": len(fell),
            "minutes": round(self.seconds / 60, 1),
            "note": self.note,
        }


def _env(code: Path, url: str | None, timeout_s: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_LLM_")}
    env["PYTHONPATH"] = str(code)
    env.pop("SWITCHBOARD_TEST_LLM_URL", None)
    if url:
        env |= {
            "SWITCHBOARD_LLM_MODEL": "local",
            "SWITCHBOARD_LLM_BASE_URL": url,
            "SWITCHBOARD_LLM_TIMEOUT_S": str(timeout_s),
            "SWITCHBOARD_TEST_LLM_URL": url,
        }
    return env


def _run(command: list[str], *, code: Path, env: dict[str, str], log: Path, limit_s: float) -> str:
    """Run, output to `log`; '' or why it did not finish."""
    with log.open("wb") as out:
        try:
            done = subprocess.run(
                command, cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=limit_s
            )
        except subprocess.TimeoutExpired:
            return f"stopped after {limit_s / 60:.0f} min"
    return "" if done.returncode in (0, 1) else f"exit {done.returncode}, see {log}"


def _scenarios(group: Group, report: Path) -> None:
    data = json.loads(report.read_text(encoding="utf-8"))
    group.passed, group.failed, group.skipped = data["passed"], data["failed"], data["skipped"]
    for scenario in data["scenarios"]:
        group.turns += scenario["turns"]


def _junit(groups: dict[str, Group], report: Path) -> None:
    for case in ET.parse(report).getroot().iter("testcase"):
        module = (case.get("classname") or "").rsplit(".", 1)[-1]
        group = groups.get(module.removeprefix("test_"))
        if group is None:
            continue
        if case.find("skipped") is not None:
            group.skipped += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            group.failed += 1
        else:
            group.passed += 1
        for prop in case.iter("property"):
            if prop.get("name") == "turns":
                group.turns += json.loads(prop.get("value") or "[]")


def _table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'group':<10} {'pass':>4} {'fail':>4} {'skip':>4} {'turns':>5} {'model':>5} "
        f"{'calls/t':>7} {'tok/t':>6} {'s/t':>5} {'s/mt':>5} {'agent':>5} {'tool':>5} "
        f"{'fellbk':>6} {'min':>5}  note"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['group']:<10} {r['passed']:>4} {r['failed']:>4} {r['skipped']:>4} "
            f"{r['turns']:>5} {r['model_turns']:>5} {r['calls_per_turn']:>7} "
            f"{r['tokens_per_turn']:>6} {r['s_per_turn']:>5} {r['s_per_model_turn']:>5} "
            f"{r['agent_turns']:>5} {r['agent_reached_tool']:>5} {r['agent_fell_back']:>6} "
            f"{r['minutes']:>5}  {r['note']}"
        )
    lines.append(
        "turns: customer turns; model: turns that called the model; s/mt: seconds a model "
        "turn; agent: turns routed to the agent; tool: of those, the ones that read the "
        "customer's orders or payments; fellbk: agent turns that ended in the honest "
        "fallback (model error, guardrail, budget, step limit)"
    )
    return "\n".join(lines)


def _policy(code: Path, out: Path, structured: str) -> Path:
    import yaml

    policy = yaml.safe_load((code / "switchboard" / "default_policy.yaml").read_text("utf-8"))
    policy.setdefault("llm", {})["structured_output"] = structured
    path = out / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


def _exchanges(log: Path) -> str:
    """How the server answered: what to look at first when the client and it disagree."""
    if not log.is_file():
        return ""
    total = errors = tool_calls = text = cut = 0
    for line in log.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        total += 1
        response = entry["response"] if isinstance(entry["response"], dict) else {}
        if entry["status"] >= 400 or not response.get("choices"):
            errors += 1
            continue
        choice = response["choices"][0]
        if choice.get("message", {}).get("tool_calls"):
            tool_calls += 1
        else:
            text += 1
        cut += choice.get("finish_reason") == "length"
    return (
        f"model exchanges: {total}; HTTP errors {errors}; answers with tool_calls {tool_calls}, "
        f"text only {text}; cut at the token cap {cut}"
    )


@contextmanager
def _model(args: argparse.Namespace, out: Path) -> Iterator[str]:
    if args.url:
        yield args.url
        return
    from tests.llm.local_model import LocalModelError, serve

    try:
        with serve(out / "llama-server.log", max_tokens=args.max_tokens) as server:
            (out / "server.json").write_text(
                json.dumps({"command": server.command}, indent=2), encoding="utf-8"
            )
            yield server.url
    except LocalModelError as exc:
        print(f"test-llm: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make test-llm", description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="an OpenAI-compatible base URL; default: start llama-server")
    parser.add_argument("--only", help=f"comma-separated groups out of {','.join(GROUPS)}")
    parser.add_argument("--limit", type=int, help="only the first N unsure messages")
    parser.add_argument("--scenarios-name", help="only shipped scenarios whose name contains this")
    parser.add_argument("--minutes", type=float, default=15.0, help="time for the whole run")
    parser.add_argument("--timeout-s", type=int, default=90, help="one model call's timeout")
    parser.add_argument("--max-tokens", type=int, default=256, help="llama-server's -n")
    parser.add_argument(
        "--structured",
        help="policy llm.structured_output for the run (e.g. json_schema): skips the "
        "server probing, which a scenario run repeats in every scenario (a fresh app each)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "artifacts" / "llm")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="measure another checkout's code (before/after)"
    )
    args = parser.parse_args(argv)
    wanted = args.only.split(",") if args.only else list(GROUPS)
    unknown = set(wanted) - set(GROUPS)
    if unknown:
        parser.error(f"unknown group {', '.join(sorted(unknown))}")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    code = args.checkout.resolve()
    bindir = Path(sys.executable).parent
    deadline = time.monotonic() + args.minutes * 60
    groups = {name: Group(name) for name in wanted}

    def timed(group: Group, command: list[str], env: dict[str, str]) -> str:
        started = time.monotonic()
        left = max(30.0, deadline - started)
        problem = _run(command, code=code, env=env, log=out / f"{group.name}.log", limit_s=left)
        group.seconds = time.monotonic() - started
        group.note = problem
        return problem

    if "offline" in groups:
        report = out / "offline.json"
        eval_ = [str(bindir / "switchboard"), "eval", "scenarios", "--json"]
        if args.scenarios_name:
            eval_ += ["--name", args.scenarios_name]
        with report.open("wb") as sink:
            subprocess.run(eval_, cwd=code, env=_env(code, None, 0), stdout=sink, check=False)
        _scenarios(groups["offline"], report)
    calls = out / "model_calls.jsonl"
    calls.unlink(missing_ok=True)
    with ExitStack() as stack:
        if set(wanted) - {"offline"}:
            upstream = stack.enter_context(_model(args, out))
            url = stack.enter_context(recording(upstream, calls))
            env = _env(code, url, args.timeout_s)
            if args.structured:
                env["SWITCHBOARD_POLICY"] = str(_policy(code, out, args.structured))
        if "scenarios" in groups:
            report = out / "scenarios.json"
            eval_ = [str(bindir / "switchboard"), "eval", "scenarios", "--llm", "--json"]
            if args.scenarios_name:
                eval_ += ["--name", args.scenarios_name]
            with report.open("wb") as sink:
                started = time.monotonic()
                try:
                    subprocess.run(
                        eval_,
                        cwd=code,
                        env=env,
                        stdout=sink,
                        timeout=max(30.0, deadline - started),
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    groups["scenarios"].note = "stopped: out of time"
                groups["scenarios"].seconds = time.monotonic() - started
            if not groups["scenarios"].note:
                _scenarios(groups["scenarios"], report)
        tests = [g for g in ("agent", "unsure") if g in groups]
        if tests:
            junit = out / "junit.xml"
            command = [str(bindir / "python"), "-m", "pytest", "-p", "no:cacheprovider"]
            command += [f"tests/llm/test_{g}.py" for g in tests]
            command += ["--junitxml", str(junit), "-rfE"]
            if args.limit:
                env["SWITCHBOARD_TEST_LLM_LIMIT"] = str(args.limit)
            problem = timed(groups[tests[0]], command, env)
            spent = groups[tests[0]].seconds
            for name in tests:  # one pytest run: its time shared out evenly
                groups[name].note, groups[name].seconds = problem, spent / len(tests)
            if junit.is_file():
                _junit(groups, junit)
    rows = [g.row() for g in groups.values()]
    (out / "summary.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    table = _table(rows)
    exchanges = _exchanges(calls)
    (out / "table.txt").write_text(f"{table}\n{exchanges}\n", encoding="utf-8")
    print(table)
    print(exchanges)
    print(f"\nreports, logs and every model exchange: {out}")
    return 1 if any(g.failed or g.note for g in groups.values() if g.name != "offline") else 0


if __name__ == "__main__":
    raise SystemExit(main())
