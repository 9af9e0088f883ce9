"""Conversations against the real model, run by the same runner as `switchboard eval
--llm` (real app, web chat, demo company, a fresh database per conversation), so a test
here asserts what a customer would see and reads the turn's trace for how it got there."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from graph.prompts import BUDGET_REPLY, FAULT_REPLY, SAFE_REPLY
from switchboard.scenarios import run_scenarios
from switchboard.scenarios.loader import LoadedScenario
from switchboard.scenarios.runner import ScenarioReport, TurnReport
from switchboard.scenarios.schema import Scenario
from switchboard.settings import Settings, load_settings

LLM_URL = os.environ.get("SWITCHBOARD_TEST_LLM_URL", "")
needs_model = pytest.mark.skipif(
    not LLM_URL,
    reason="needs a real model server: SWITCHBOARD_TEST_LLM_URL unset (make test-llm starts one)",
)
# Tools that read the customer's own account: what "the agent reached a tool" counts.
ACCOUNT_TOOLS = ("orders.", "payments.")
# The agent's honest fallbacks (graph/prompts.py) up to the ticket number.
FALLBACKS = tuple(text.split("{ticket}")[0] for text in (SAFE_REPLY, FAULT_REPLY, BUDGET_REPLY))


def model_settings(workdir: Path) -> Settings:
    return load_settings(
        SWITCHBOARD_DATABASE_URL=f"sqlite:///{workdir / 'unused.db'}",
        SWITCHBOARD_LLM_MODEL=os.environ.get("SWITCHBOARD_TEST_LLM_MODEL", "local"),
        SWITCHBOARD_LLM_BASE_URL=LLM_URL,
        SWITCHBOARD_LLM_TIMEOUT_S=os.environ.get("SWITCHBOARD_LLM_TIMEOUT_S", "90"),
    )


async def converse(scenarios: Sequence[Scenario], workdir: Path) -> dict[str, ScenarioReport]:
    """Every scenario, in one sandbox (the demo database and classifier are built once)."""
    here = Path(__file__)
    loaded = [LoadedScenario(s, here, i) for i, s in enumerate(scenarios, start=1)]
    report = await run_scenarios(loaded, model_settings(workdir), llm=True)
    return {s.name: s for s in report.scenarios}


def account_tools(turn: TurnReport) -> list[str]:
    return [t for t in turn.tools if t.startswith(ACCOUNT_TOOLS)]


def fell_back(turn: TurnReport) -> bool:
    """The agent gave up (model error, guardrail, budget, step limit) and handed over."""
    return any(r.startswith(FALLBACKS) for r in turn.replies)


def record(record_property: Callable[[str, Any], None], report: ScenarioReport) -> None:
    """The turns into the JUnit XML, for `tests/llm/run.py`'s table."""
    record_property("turns", json.dumps([asdict(t) for t in report.turns]))


def describe(report: ScenarioReport) -> str:
    lines = [report.name]
    for t in report.turns:
        lines.append(
            f"  {t.label}: {t.intent} ({t.confidence}) -> {t.route}; tools {t.tools}; "
            f"llm {t.llm_calls} calls/{t.tokens} tokens; {t.ms / 1000:.1f} s"
        )
        lines += [f"    reply: {r!r}" for r in t.replies]
        lines += [f"    x {f}" for f in t.failures]
    if report.reason:
        lines.append(f"  x {report.reason}")
    return "\n".join(lines)
