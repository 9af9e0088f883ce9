"""Turning one run's results into ratios, a Markdown table and PNG plots.

Every ratio compares Switchboard with the reference measured in the same run, on the
same database, model latency and concurrency: absolute numbers move with the machine and
with whatever else it is doing; ratios move much less. Where the floor ran too (a
durable LangGraph server doing nothing else, bench/floor), two more ratios say what the
machine allows: the floor's turns/s over the reference's (the most any such server could
show against it) and Switchboard's over the floor's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {
    "throughput_x": 10.0,  # ours / reference turns/s, at 50 and 100 conversations
    "p99_fraction": 0.1,  # ours / reference p99
    "stored_kb_per_turn": 3.0,
    "llm_calls_per_turn": 0.4,
}


def _runs(results: dict[str, Any]) -> list[dict[str, dict[str, Any]]]:
    """The systems' rows of each (database, model latency, concurrency), by system."""
    by_key: dict[tuple[Any, ...], dict[str, dict[str, Any]]] = {}
    for row in results["load"]:
        key = (row["database"], row["model_latency_ms"], row["concurrency"])
        by_key.setdefault(key, {})[row["system"]] = row
    return [run for run in by_key.values() if "switchboard" in run and "reference" in run]


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(results: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for run in _runs(results):
        ours, ref, floor = run["switchboard"], run["reference"], run.get("floor", {})
        out.append(
            {
                "database": ours["database"],
                "model_latency_ms": ours["model_latency_ms"],
                "concurrency": ours["concurrency"],
                "throughput_x": _ratio(ours["turns_per_s"], ref["turns_per_s"]),
                "p50_fraction": _ratio(ours["p50_ms"], ref["p50_ms"]),
                "p99_fraction": _ratio(ours["p99_ms"], ref["p99_ms"]),
                "cpu_fraction": _ratio(ours["cpu_s_per_turn"], ref["cpu_s_per_turn"]),
                "llm_calls_fraction": _ratio(ours["llm_calls_per_turn"], ref["llm_calls_per_turn"]),
                "prompt_tokens_fraction": _ratio(
                    ours["prompt_tokens_per_turn"], ref["prompt_tokens_per_turn"]
                ),
                "stored_bytes_fraction": _ratio(
                    ours["stored_bytes_per_turn"], ref["stored_bytes_per_turn"]
                ),
                "floor_throughput_x": _ratio(floor.get("turns_per_s"), ref["turns_per_s"]),
                "floor_p99_fraction": _ratio(floor.get("p99_ms"), ref["p99_ms"]),
                "throughput_of_floor": _ratio(ours["turns_per_s"], floor.get("turns_per_s")),
            }
        )
    return out


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Run {results['date']} on {machine['cpu']}, {machine['cores']} cores, "
        f"Python {machine['python']}: `{results['command']}`",
        "",
        "| db | model | conv. | system | turns/s | p50 ms | p95 ms | p99 ms | CPU ms/turn "
        "| LLM calls/turn | prompt tok/turn | stored KB/turn |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results["load"]:
        lines.append(
            f"| {row['database']} | {row['model_latency_ms']:.0f} ms | {row['concurrency']} "
            f"| {row['system']} | {_fmt(row['turns_per_s'])} | {_fmt(row['p50_ms'], 0)} "
            f"| {_fmt(row['p95_ms'], 0)} | {_fmt(row['p99_ms'], 0)} "
            f"| {_fmt(row['cpu_s_per_turn'] * 1000)} | {_fmt(row['llm_calls_per_turn'], 2)} "
            f"| {_fmt(row['prompt_tokens_per_turn'], 0)} "
            f"| {_fmt(row['stored_bytes_per_turn'] / 1024)} |"
        )
    lines += [
        "",
        "Ratios, Switchboard ÷ reference (same run):",
        "",
        "| db | model | conv. | turns/s × | p50 × | p99 × | CPU/turn × | LLM calls × "
        "| prompt tokens × | stored bytes × |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results.get("ratios", []):
        lines.append(
            f"| {r['database']} | {r['model_latency_ms']:.0f} ms | {r['concurrency']} "
            f"| {_fmt(r['throughput_x'], 2)} | {_fmt(r['p50_fraction'], 3)} "
            f"| {_fmt(r['p99_fraction'], 3)} | {_fmt(r['cpu_fraction'], 3)} "
            f"| {_fmt(r['llm_calls_fraction'], 3)} | {_fmt(r['prompt_tokens_fraction'], 3)} "
            f"| {_fmt(r['stored_bytes_fraction'], 3)} |"
        )
    lines += [
        "",
        "What the machine allows: the floor (a durable five-node LangGraph server doing "
        "nothing else) ÷ the reference, and Switchboard ÷ the floor (same run):",
        "",
        "| db | conv. | floor turns/s × ref | floor p99 × ref | Switchboard turns/s × floor |",
        "|---|---|---|---|---|",
    ]
    for r in results.get("ratios", []):
        if r.get("floor_throughput_x") is not None:
            lines.append(
                f"| {r['database']} | {r['concurrency']} | {_fmt(r['floor_throughput_x'], 2)} "
                f"| {_fmt(r['floor_p99_fraction'], 3)} | {_fmt(r['throughput_of_floor'], 2)} |"
            )
    lines += [
        "",
        "Growth with conversation length (turns (L-10, L] of one conversation):",
        "",
        "| db | length | system | stored KB/turn | prompt tokens/call | LLM calls/turn | ms/turn |",
        "|---|---|---|---|---|---|---|",
    ]
    for g in results["growth"]:
        lines.append(
            f"| {g['database']} | {g['length']} | {g['system']} "
            f"| {_fmt(g['bytes_per_turn'] / 1024)} | {_fmt(g['prompt_tokens_per_call'], 0)} "
            f"| {_fmt(g['llm_calls_per_turn'], 2)} | {_fmt(g['turn_ms'])} |"
        )
    return "\n".join(lines) + "\n"


def plots(results: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """Throughput vs concurrency, latency CDF, bytes and tokens per turn vs length."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the bench extra is not installed: numbers only
        return []
    made: list[Path] = []
    fast = [r for r in results["load"] if r["model_latency_ms"] == 0]
    series = sorted({(r["system"], r["database"]) for r in fast})

    fig, ax = plt.subplots(figsize=(6, 4))
    for system, db in series:
        rows = sorted(
            (r for r in fast if (r["system"], r["database"]) == (system, db)),
            key=lambda r: r["concurrency"],
        )
        ax.plot(
            [r["concurrency"] for r in rows],
            [r["turns_per_s"] for r in rows],
            marker="o",
            label=f"{system} ({db})",
        )
    ax.set(xlabel="concurrent conversations", ylabel="turns/s", title="Throughput, 0 ms model")
    ax.legend()
    made.append(_save(fig, out / f"{stem}-throughput.png"))

    fig, ax = plt.subplots(figsize=(6, 4))
    top = max((r["concurrency"] for r in fast), default=0)
    for r in (r for r in fast if r["concurrency"] == top):
        quantiles = r["latency_quantiles_ms"]
        ax.plot(quantiles, [q / 100 for q in range(101)], label=f"{r['system']} ({r['database']})")
    ax.set(
        xscale="log",
        xlabel="turn latency, ms",
        ylabel="share of turns",
        title=f"Latency CDF, {top} conversations, 0 ms model",
    )
    ax.legend()
    made.append(_save(fig, out / f"{stem}-latency-cdf.png"))

    for field, label, name in (
        ("bytes_per_turn", "stored KB per turn", "bytes"),
        ("prompt_tokens_per_call", "prompt tokens per LLM call", "tokens"),
    ):
        fig, ax = plt.subplots(figsize=(6, 4))
        for system, db in sorted({(g["system"], g["database"]) for g in results["growth"]}):
            points = [
                g
                for g in results["growth"]
                if (g["system"], g["database"]) == (system, db) and g[field] is not None
            ]
            scale = 1024 if field == "bytes_per_turn" else 1
            ax.plot(
                [g["length"] for g in points],
                [g[field] / scale for g in points],
                marker="o",
                label=f"{system} ({db})",
            )
        ax.set(xlabel="conversation length, turns", ylabel=label, title=f"{label} vs length")
        ax.legend()
        made.append(_save(fig, out / f"{stem}-{name}-per-turn.png"))
    return made


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path
