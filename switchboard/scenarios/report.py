"""Reports of a run: readable text, JSON, and JUnit XML for CI.

The text report is stable between runs of the same code (no timings or ids per line), so
two runs can be diffed to see exactly which conversations changed; LLM calls and tokens
are on every turn line, so a cost regression shows up like a wrong answer does. The
confusion summary after the scenarios counts, per expected -> got pair of intents and of
routes, the failed turns behind it, so a policy author sees where the bot is confused.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from switchboard.scenarios.expectations import intent_matches, route_matches, seen_intent
from switchboard.scenarios.runner import RunReport, ScenarioReport, TurnReport

MARK = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}
CONFUSION_EXAMPLES = 3
"""Turns named per expected -> got pair in the text; the JSON names them all."""
ConfusionKind = Literal["intent", "route"]


@dataclass(frozen=True)
class TurnRef:
    source: str
    scenario: str
    turn: int


@dataclass
class Confusion:
    """Turns whose scenario expected one intent (or route) and the bot took another."""

    kind: ConfusionKind
    expected: str
    got: str | None
    turns: list[TurnRef] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.turns)


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


def confusion(report: RunReport) -> list[Confusion]:
    """Intents first, then routes; the most frequent pair of each first."""
    pairs: dict[tuple[ConfusionKind, str, str | None], Confusion] = {}
    for scenario in report.scenarios:
        for turn in scenario.turns:
            if turn.route is None:
                continue  # no trace: nothing was classified or routed
            wrong: list[tuple[ConfusionKind, str, str | None]] = []
            if turn.expected_intent is not None and not intent_matches(
                turn.expected_intent, turn.intent, turn.route
            ):
                wrong.append(("intent", turn.expected_intent, seen_intent(turn.intent, turn.route)))
            if turn.expected_route is not None and not route_matches(
                turn.expected_route, turn.route
            ):
                wrong.append(("route", turn.expected_route, turn.route))
            for key in wrong:
                pairs.setdefault(key, Confusion(*key)).turns.append(
                    TurnRef(scenario.source, scenario.name, turn.number)
                )
    return sorted(pairs.values(), key=lambda c: (c.kind, -c.count, c.expected, c.got or ""))


def confusion_lines(confusions: list[Confusion]) -> list[str]:
    lines: list[str] = []
    for kind in ("intent", "route"):
        of_kind = [c for c in confusions if c.kind == kind]
        if of_kind:
            lines.append(f"Confused {kind}s (expected -> got: count)")
        for c in of_kind:
            lines.append(f"  {c.expected} -> {c.got or '-'}: {c.count}")
            shown = c.turns[:CONFUSION_EXAMPLES]
            lines.extend(f"      {t.source}:{t.scenario}, turn {t.turn}" for t in shown)
            if c.count > len(shown):
                lines.append(f"      and {c.count - len(shown)} more")
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
    confused = confusion_lines(confusion(report))
    if confused:
        lines += ["", *confused]
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
        "confusion": [{**asdict(c), "count": c.count} for c in confusion(report)],
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
