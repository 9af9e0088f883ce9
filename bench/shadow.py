"""Shadow mode's cost to the live turn: the same web chat load against `switchboard
serve` without and with `SWITCHBOARD_SHADOW_POLICY`, in one run, on fresh demo
databases, no model; rounds alternate (off, on, off, on...) so drift hits both.

    .venv/bin/python -m bench.shadow                        # SQLite
    .venv/bin/python -m bench.shadow --database postgres    # the local PostgreSQL

Prints p50/p99 of the live turn (HTTP round trip) for each, their ratios, and what the
shadow did (decisions stored, turns dropped from its full queue).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import func, select

from bench.load import LoadResult, load_mix, run_load
from bench.systems import (
    DEFAULT_POLICY,
    IDENTITY_SECRET,
    LOAD_ENV,
    Databases,
    Process,
    _clean_env,
)
from storage.db import create_engine
from storage.models import ShadowDecision


def shadow_policy(workdir: Path) -> Path:
    """The default policy with billing sent to the help centre: a change worth shadowing."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    policy["intents"]["billing_issue"]["route"] = "workflow:faq"
    path = workdir / "shadow_policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return path


def start(database_url: str, workdir: Path, shadow: Path | None) -> Process:
    env = _clean_env(
        SWITCHBOARD_DATABASE_URL=database_url,
        SWITCHBOARD_WEBCHAT_IDENTITY_SECRET=IDENTITY_SECRET,
        SWITCHBOARD_CACHE_DIR=str(workdir / "cache"),
        **LOAD_ENV,
        **({"SWITCHBOARD_SHADOW_POLICY": str(shadow)} if shadow else {}),
    )
    argv = [".venv/bin/python", "-m", "switchboard.cli.main", "serve", "--host", "127.0.0.1"]
    name = "shadow-on" if shadow else "shadow-off"
    return Process(name, argv, env, workdir / f"{name}.log").start("/readyz")


async def decisions(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(ShadowDecision))).one()[0]
            )
    finally:
        await engine.dispose()


def dropped(server: Process) -> float:
    found = re.search(
        r"^switchboard_shadow_dropped_total (\S+)$", httpx.get(server.url + "/metrics").text, re.M
    )
    return float(found.group(1)) if found else 0.0


def percentile(samples: list[float], q: float) -> float:
    return LoadResult(0, 0, latencies_s=samples).percentile(q) * 1000


async def main(kind: str, rounds: int, concurrency: int, turns: int) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-shadow-"))
    databases = Databases(kind, workdir)
    mix = load_mix()
    policy = shadow_policy(workdir)
    latencies: dict[str, list[float]] = {"off": [], "on": []}
    shadow = {"decisions": 0, "dropped": 0.0, "turns": 0}
    try:
        for n in range(rounds):
            for label in ("off", "on"):
                url = databases.fresh(f"{label}{n}")
                server = start(url, workdir, policy if label == "on" else None)
                try:
                    result = await run_load(
                        server.url, mix, concurrency=concurrency, turns=turns, seed=n
                    )
                    assert result.errors == 0, result.error_samples
                    latencies[label] += result.latencies_s
                    if label == "on":
                        await asyncio.sleep(2)  # the worker finishes the queue
                        shadow["dropped"] += dropped(server)
                        shadow["turns"] += result.turns
                finally:
                    server.stop()
                if label == "on":
                    shadow["decisions"] += await decisions(url)
    finally:
        databases.drop_all()
    figures = {
        label: {
            "turns": len(samples),
            "p50_ms": round(percentile(samples, 50), 1),
            "p99_ms": round(percentile(samples, 99), 1),
        }
        for label, samples in latencies.items()
    }
    return {
        "database": kind,
        "rounds": rounds,
        "concurrency": concurrency,
        "turns_per_conversation": turns,
        **figures,
        "p50_ratio_on_off": round(figures["on"]["p50_ms"] / figures["off"]["p50_ms"], 2),
        "p99_ratio_on_off": round(figures["on"]["p99_ms"] / figures["off"]["p99_ms"], 2),
        "shadow": shadow,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    print(
        json.dumps(
            asyncio.run(main(args.database, args.rounds, args.concurrency, args.turns)), indent=2
        )
    )
