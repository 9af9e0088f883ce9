"""`python -m bench`: Switchboard against the agent-only reference, side by side, one run.

For each database (SQLite, PostgreSQL) and each system, a fresh demo database and a real
server process; load at each concurrency (turns/s, latency percentiles, server CPU per
turn, model calls and tokens per turn); then growth with conversation length; then a
shorter run with a 300 ms model. The floor (bench/floor: the least a durable LangGraph
server does per turn) runs the 0 ms loads too, so every target can be read against what
is possible on the machine. Writes bench/results/<date>.json, <date>.md (the
table) and PNG plots. `--quick`: SQLite, 10 conversations × 5 turns, lengths 10 only.

`--conversations 50 --systems switchboard,floor --db sqlite --no-growth` (any of them):
only those loads, one after another in the same run, then a comparison of each system
with the first-named (turns/s, p99, CPU per turn and their ratios); nothing written
unless `--out` is given. `--rounds 3` repeats the loads alternately (A B A B A B), since
one pair of runs on this machine moves ±10%.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import systems
from bench.growth import measure_growth
from bench.load import load_mix, run_load
from bench.report import plots, ratios, table

RESULTS = Path(__file__).resolve().parent / "results"


def _llm_stats(llm_url: str, model: str, turns: int) -> dict[str, Any]:
    calls = [c for c in httpx.get(f"{llm_url}/stats").json()["calls"] if c["model"] == model]
    prompt = sum(c["prompt_tokens"] for c in calls)
    completion = sum(c["completion_tokens"] for c in calls)
    per = max(1, turns)
    return {
        "llm_calls": len(calls),
        "llm_calls_per_turn": round(len(calls) / per, 3),
        "prompt_tokens_per_turn": round(prompt / per, 1),
        "completion_tokens_per_turn": round(completion / per, 1),
        "prompt_tokens_per_call": round(prompt / len(calls), 1) if calls else None,
    }


def _start(system: str, url: str, fake: systems.Process, policy: Path, work: Path):  # type: ignore[no-untyped-def]
    llm = fake.url + "/v1"
    if system == "switchboard":
        return systems.start_switchboard(url, llm, policy, work)
    if system == "floor":
        return systems.start_floor(url, work)
    return systems.start_reference(url, llm, work)


def _model(system: str) -> str:
    return systems.OUR_MODEL if system == "switchboard" else systems.REFERENCE_MODEL


def run_loads(
    kind: str,
    dbs: systems.Databases,
    fake: systems.Process,
    policy: Path,
    work: Path,
    *,
    latency_ms: float,
    concurrencies: list[int],
    turns: int,
    time_limit_s: float,
    compared: tuple[str, ...] = ("switchboard", "reference", "floor"),
    profile: Path | None = None,
) -> list[dict[str, Any]]:
    mix = load_mix()
    rows: list[dict[str, Any]] = []
    for system in compared:
        url = dbs.fresh(system[:3])
        server = _start(system, url, fake, policy, work)
        try:
            httpx.post(fake.url + "/reset", json={"latency_ms": latency_ms})
            # Warm-up: first-use costs (model loads, prepared statements) are not a turn's.
            asyncio.run(run_load(server.url, mix, concurrency=4, turns=3, seed=99))
            for concurrency in concurrencies:
                httpx.post(fake.url + "/reset", json={})
                spy = systems.start_profile(server.pid, profile, system) if profile else None
                cpu = systems.cpu_seconds(server.pid)
                size = systems.database_bytes(url)
                result = asyncio.run(
                    run_load(
                        server.url,
                        mix,
                        concurrency=concurrency,
                        turns=turns,
                        time_limit_s=time_limit_s,
                    )
                )
                if spy is not None:
                    systems.stop_profile(spy)
                row = {
                    "system": system,
                    "database": kind,
                    "model_latency_ms": latency_ms,
                    **result.summary(),
                    "cpu_s_per_turn": round(
                        (systems.cpu_seconds(server.pid) - cpu) / max(1, result.turns), 4
                    ),
                    "stored_bytes_per_turn": round(
                        (systems.database_bytes(url) - size) / max(1, result.turns), 1
                    ),
                    **_llm_stats(fake.url, _model(system), result.turns),
                }
                rows.append(row)
                print(
                    f"  {kind:8} {system:11} {latency_ms:>3.0f} ms model  c={concurrency:<3} "
                    f"{row['turns_per_s']:7.1f} turns/s  p50 {row['p50_ms']:7.1f}  "
                    f"p99 {row['p99_ms']:7.1f} ms  cpu {row['cpu_s_per_turn'] * 1000:5.1f} ms/turn  "
                    f"llm {row['llm_calls_per_turn']:.2f}/turn  errors {row['errors']}",
                    flush=True,
                )
        finally:
            server.stop()
    return rows


def run_growth(
    kind: str,
    dbs: systems.Databases,
    fake: systems.Process,
    policy: Path,
    work: Path,
    lengths: list[int],
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    httpx.post(fake.url + "/reset", json={"latency_ms": 0})
    for system in ("switchboard", "reference"):
        url = dbs.fresh(f"g{system[:3]}")
        server = _start(system, url, fake, policy, work)
        try:
            points = asyncio.run(
                measure_growth(server.url, fake.url, url, _model(system), load_mix(), lengths)
            )
        finally:
            server.stop()
        for point in points:
            rows.append({"system": system, "database": kind, **point.as_dict()})
            print(
                f"  {kind:8} {system:11} length {point.length:<4} "
                f"{point.bytes_per_turn / 1024:8.1f} KB/turn  "
                f"{point.prompt_tokens_per_call or 0:8.0f} prompt tokens/call  "
                f"{point.llm_calls_per_turn:.2f} calls/turn",
                flush=True,
            )
    return rows


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    import os

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def compare(rows: list[dict[str, Any]], systems_: list[str]) -> str:
    """Each system's turns/s, p99 and CPU per turn, and the first-named one's over each
    other's (switchboard,floor: Switchboard ÷ the floor), per database and concurrency;
    medians over the rounds when there were several."""
    import statistics

    lines = [
        f"| db | conv. | system | runs | turns/s | p99 ms | CPU ms/turn | {systems_[0]} ÷ it: "
        "turns/s | p99 | CPU |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    keys = sorted({(r["database"], r["concurrency"]) for r in rows})
    for db, conv in keys:
        stats: dict[str, tuple[int, float, float, float]] = {}
        for system in systems_:
            runs = [
                r
                for r in rows
                if (r["database"], r["concurrency"], r["system"]) == (db, conv, system)
            ]
            if runs:
                stats[system] = (
                    len(runs),
                    statistics.median(r["turns_per_s"] for r in runs),
                    statistics.median(r["p99_ms"] for r in runs),
                    statistics.median(r["cpu_s_per_turn"] * 1000 for r in runs),
                )
        base = stats.get(systems_[0])
        for system, (n, tps, p99, cpu) in stats.items():
            if base is None or system == systems_[0]:
                x = "| – | – | –"
            else:
                x = f"| {base[1] / tps:.2f} | {base[2] / p99:.2f} | {base[3] / cpu:.2f}"
            lines.append(
                f"| {db} | {conv} | {system} | {n} | {tps:.1f} | {p99:.0f} | {cpu:.1f} {x} |"
            )
    return "\n".join(lines) + "\n"


def main_compare(args: argparse.Namespace) -> None:
    """Only the named systems' loads (no growth, no 300 ms model), and their comparison."""
    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    kinds = [args.db] if args.db != "both" else ["sqlite", "postgres"]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        work = Path(tmp)
        policy = systems.bench_policy(work)
        fake = systems.start_fake_llm(work, 0)
        try:
            for kind in kinds:
                dbs = systems.Databases(kind, work)
                try:
                    for _ in range(args.rounds):
                        for system in names:
                            rows += run_loads(
                                kind,
                                dbs,
                                fake,
                                policy,
                                work,
                                latency_ms=0,
                                concurrencies=[args.conversations],
                                turns=args.turns,
                                time_limit_s=args.time_limit,
                                compared=(system,),
                                profile=args.profile,
                            )
                finally:
                    dbs.drop_all()
        finally:
            fake.stop()
    if not args.no_growth:
        print("(growth is only measured by the full run)")
    print(compare(rows, names))
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S") + "-compare"
        (args.out / f"{stem}.json").write_text(json.dumps(rows, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="SQLite only, small and short")
    parser.add_argument("--out", type=Path, default=None, help=f"default {RESULTS}")
    parser.add_argument("--no-postgres", action="store_true")
    compare_group = parser.add_argument_group("one load, chosen systems (no full report)")
    compare_group.add_argument("--conversations", type=int, help="concurrent conversations")
    compare_group.add_argument("--turns", type=int, default=20, help="turns per conversation")
    compare_group.add_argument(
        "--systems", help="comma-separated, first is the base: switchboard,floor,reference"
    )
    compare_group.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    compare_group.add_argument("--no-growth", action="store_true", help="(implied)")
    compare_group.add_argument("--rounds", type=int, default=1, help="repeat, alternating")
    compare_group.add_argument("--time-limit", type=float, default=45.0, help="s per load")
    compare_group.add_argument(
        "--profile",
        type=Path,
        help="directory: py-spy record --gil of each server during its load (raw, 100 Hz)",
    )
    args = parser.parse_args()
    if args.conversations or args.systems or args.no_growth:
        args.conversations = args.conversations or 50
        args.systems = args.systems or "switchboard,floor"
        main_compare(args)
        return
    args.out = args.out or RESULTS
    quick = args.quick
    kinds = ["sqlite"] if quick or args.no_postgres else ["sqlite", "postgres"]
    concurrencies = [10] if quick else [10, 50, 100]
    turns = 5 if quick else 20
    lengths = [10] if quick else [10, 50, 200]
    time_limit = 20.0 if quick else 45.0
    command = "python -m bench" + (" --quick" if quick else "")
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "machine": machine(),
        "settings": {
            "concurrencies": concurrencies,
            "turns_per_conversation": turns,
            "time_limit_s_per_run": time_limit,
            "growth_lengths": lengths,
            "known_process_share": load_mix().known_share,
        },
        "load": [],
        "growth": [],
    }
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as tmp:
        work = Path(tmp)
        policy = systems.bench_policy(work)
        fake = systems.start_fake_llm(work, 0)
        try:
            for kind in kinds:
                dbs = systems.Databases(kind, work)
                try:
                    print(f"load, 0 ms model, {kind}", flush=True)
                    results["load"] += run_loads(
                        kind,
                        dbs,
                        fake,
                        policy,
                        work,
                        latency_ms=0,
                        concurrencies=concurrencies,
                        turns=turns,
                        time_limit_s=time_limit,
                    )
                    print(f"growth, {kind}", flush=True)
                    results["growth"] += run_growth(kind, dbs, fake, policy, work, lengths)
                    if kind == "sqlite" and not quick:
                        print("load, 300 ms model, sqlite", flush=True)
                        results["load"] += run_loads(
                            kind,
                            dbs,
                            fake,
                            policy,
                            work,
                            latency_ms=300,
                            concurrencies=[50],
                            turns=10,
                            time_limit_s=time_limit,
                            compared=("switchboard", "reference"),  # the floor calls no model
                        )
                finally:
                    dbs.drop_all()
        except BaseException as exc:
            # What was measured is still written, marked incomplete.
            results["incomplete"] = f"{type(exc).__name__}: {exc}"[:500]
            for log in work.glob("*.log"):
                print(f"--- {log.name}\n{log.read_text()[-3000:]}", file=sys.stderr)
        finally:
            fake.stop()
    results["ratios"] = ratios(results)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = datetime.now(UTC).strftime("%Y-%m-%d") + ("-quick" if quick else "")
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=1) + "\n")
    markdown = table(results)
    (args.out / f"{stem}.md").write_text(markdown)
    plots(results, args.out, stem)
    print(markdown)
    print(f"wrote {args.out / stem}.json, .md and plots in {results['elapsed_s']} s")


if __name__ == "__main__":
    main()
