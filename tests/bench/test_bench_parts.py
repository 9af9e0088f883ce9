"""The benchmark's parts that decide what is measured: the message mix, the fake
model's answers and the ratios (no servers, no timing: the benchmark itself is
`python -m bench`, never part of the suite)."""

from __future__ import annotations

import random

from bench.fake_llm import FakeLLM
from bench.load import load_mix
from bench.report import ratios, table


def test_mix_draws_about_seventy_percent_known_processes_and_no_handoffs() -> None:
    mix = load_mix()
    assert mix.known and mix.other
    assert not any("person" in line.lower() for line in mix.known + mix.other)
    rng = random.Random(1)
    drawn = [mix.draw(rng) for _ in range(2000)]
    known = sum(line in set(mix.known) for line in drawn) / len(drawn)
    assert 0.65 < known < 0.75


def test_fake_model_calls_a_tool_then_answers() -> None:
    fake = FakeLLM()
    tools = [{"type": "function", "function": {"name": n}} for n in ("get_order", "search_kb")]
    said = [{"role": "user", "content": "where is order 1042?"}]
    purpose, message = fake.answer({"messages": said, "tools": tools})
    assert purpose == "tool_call"
    assert message["tool_calls"][0]["function"]["name"] == "get_order"
    after = [*said, message, {"role": "tool", "content": "{}", "tool_call_id": "x"}]
    purpose, message = fake.answer({"messages": after, "tools": tools})
    assert purpose == "answer" and message["content"]
    classify = [{"type": "function", "function": {"name": "MessageAnalysis"}}]
    purpose, message = fake.answer({"messages": said, "tools": classify})
    assert purpose == "classify"


def test_ratios_compare_systems_of_the_same_run() -> None:
    row = {
        "database": "sqlite",
        "model_latency_ms": 0,
        "concurrency": 50,
        "turns": 100,
        "errors": 0,
        "p50_ms": 10.0,
        "p95_ms": 20.0,
        "p99_ms": 30.0,
        "cpu_s_per_turn": 0.01,
        "llm_calls_per_turn": 0.3,
        "prompt_tokens_per_turn": 100.0,
        "stored_bytes_per_turn": 2048.0,
    }
    ours = {**row, "system": "switchboard", "turns_per_s": 200.0}
    ref = {**row, "system": "reference", "turns_per_s": 20.0, "p99_ms": 300.0}
    floor = {**row, "system": "floor", "turns_per_s": 100.0, "p99_ms": 150.0}
    results = {
        "date": "d",
        "command": "python -m bench",
        "machine": {"cpu": "x", "cores": 2, "python": "3.11"},
        "load": [ours, ref, floor],
        "growth": [],
    }
    [ratio] = ratios(results)
    assert ratio["throughput_x"] == 10.0 and ratio["p99_fraction"] == 0.1
    assert ratio["floor_throughput_x"] == 5.0 and ratio["floor_p99_fraction"] == 0.5
    assert ratio["throughput_of_floor"] == 2.0
    results["ratios"] = [ratio]
    assert "| sqlite | 0 ms | 50 | 10.00 |" in table(results)
    assert "| sqlite | 50 | 5.00 | 0.500 | 2.00 |" in table(results)
