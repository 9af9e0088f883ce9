"""Reports of a run: readable text, JSON, and JUnit XML for CI.

The text report is stable between runs of the same code (no timings or ids per line), so
two runs can be diffed to see exactly which conversations changed; LLM calls and tokens
are on every turn line, so a cost regression shows up like a wrong answer does.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict
from typing import Any

from switchboard.scenarios.runner import RunReport, ScenarioReport, TurnReport

MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def _turn_line(turn: TurnReport) -> str:
    if turn.rejected is not None:
        what = f"rejected by the channel ({turn.rejected})"
    elif turn.route is not None:
        confidence = f" ({turn.confidence:.2f})" if turn.confidence else ""
        what = f"{turn.intent or '-'}{confidence} -> {turn.route}"
    elif turn.label in ("approve", "deny"):
        what = "staff decision"
    elif turn.mode == "human":
        what = "relayed to staff (human mode)"
    else:
        what = "no trace"
    tools = f"  tools: {', '.join(turn.tools)}" if turn.tools else ""
    return (
        f"    {turn.number}. {turn.label}: {what}{tools}  "
        f"[llm {turn.llm_calls} calls, {turn.tokens} tokens]"
    )


def scenario_lines(scenario: ScenarioReport, *, turns: bool = True) -> list[str]:
    who = scenario.customer or "anonymous"
    lines = [
        f"{MARK[scenario.status]}  {scenario.name}  ({scenario.source}, {scenario.channel}, {who})"
    ]
    if scenario.status == "skipped":
        lines[0] += f": {scenario.reason}"
        return lines
    for turn in scenario.turns:
        if turns or turn.failures:
            lines.append(_turn_line(turn))
        lines.extend(f"       x {failure}" for failure in turn.failures)
    if scenario.reason:
        lines.append(f"       x {scenario.reason}")
    return lines


def summary_line(report: RunReport) -> str:
    line = f"{report.count('passed')} passed, {report.count('failed')} failed"
    if report.count("skipped"):
        line += f", {report.count('skipped')} skipped"
    return f"{line}; {report.llm_calls} LLM calls, {report.tokens} tokens"


def format_text(report: RunReport, *, turns: bool = True) -> str:
    lines: list[str] = []
    for scenario in report.scenarios:
        lines.extend(scenario_lines(scenario, turns=turns))
    count = sum(len(s.turns) for s in report.scenarios)
    mode = "with the configured LLM" if report.llm else "offline"
    lines.append("")
    lines.append(
        f"{len(report.scenarios)} scenarios, {count} turns, {mode}, in {report.ms / 1000:.1f} s"
    )
    lines.append(summary_line(report))
    return "\n".join(lines)


def as_dict(report: RunReport) -> dict[str, Any]:
    return {
        "passed": report.count("passed"),
        "failed": report.count("failed"),
        "skipped": report.count("skipped"),
        "llm": report.llm,
        "llm_calls": report.llm_calls,
        "tokens": report.tokens,
        "ms": report.ms,
        "scenarios": [
            {**asdict(s), "llm_calls": s.llm_calls, "tokens": s.tokens} for s in report.scenarios
        ],
    }


def format_json(report: RunReport) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False)


def format_junit(report: RunReport) -> str:
    suite = ET.Element(
        "testsuite",
        name="switchboard eval",
        tests=str(len(report.scenarios)),
        failures=str(report.count("failed")),
        skipped=str(report.count("skipped")),
        time=f"{report.ms / 1000:.3f}",
    )
    for scenario in report.scenarios:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=scenario.source,
            name=scenario.name,
            time=f"{scenario.ms / 1000:.3f}",
        )
        if scenario.status == "skipped":
            ET.SubElement(case, "skipped", message=scenario.reason or "")
        elif scenario.status == "failed":
            failures = [f for t in scenario.turns for f in t.failures]
            first = failures[0] if failures else scenario.reason or "failed"
            node = ET.SubElement(case, "failure", message=first)
            node.text = "\n".join(scenario_lines(scenario))
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join(_turn_line(t) for t in scenario.turns)
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
