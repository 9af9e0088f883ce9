"""`python -m bench --systems a,b`: the table compares the first-named system with each other."""

from __future__ import annotations

from typing import Any

from bench.__main__ import compare


def _row(system: str, turns_per_s: float, p99_ms: float, cpu_s: float) -> dict[str, Any]:
    return {
        "system": system,
        "database": "sqlite",
        "concurrency": 50,
        "turns_per_s": turns_per_s,
        "p99_ms": p99_ms,
        "cpu_s_per_turn": cpu_s,
    }


def test_first_named_over_each_other_with_medians_over_rounds() -> None:
    rows = [
        _row("switchboard", 30.0, 3000.0, 0.020),
        _row("floor", 100.0, 1000.0, 0.005),
        _row("switchboard", 40.0, 2000.0, 0.030),
        _row("floor", 120.0, 1500.0, 0.006),
        _row("switchboard", 35.0, 2500.0, 0.025),
        _row("floor", 110.0, 1250.0, 0.0055),
    ]
    lines = compare(rows, ["switchboard", "floor"]).splitlines()
    assert lines[2] == "| sqlite | 50 | switchboard | 3 | 35.0 | 2500 | 25.0 | – | – | – |"
    # Switchboard ÷ the floor: 35 / 110 turns/s, 2500 / 1250 p99, 25 / 5.5 CPU.
    assert lines[3] == "| sqlite | 50 | floor | 3 | 110.0 | 1250 | 5.5 | 0.32 | 2.00 | 4.55 |"
