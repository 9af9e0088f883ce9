"""Reading scenario files: YAML → validated `Scenario`s, or one line naming file, scenario
and key. Directories are searched for `*.yaml`/`*.yml`, in name order, so runs are stable."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from graph.policy import read_yaml
from switchboard.scenarios.schema import (
    Expect,
    Scenario,
    ScenarioFile,
    TicketExpect,
    Turn,
    allowed_keys,
)

# Intent names a scenario may use besides the policy's own (see `Expect.intent`).
INTENT_ALIASES = {"handoff": "human_handoff"}
PSEUDO_INTENTS = ("clarify",)

_MODELS: dict[str, type[BaseModel]] = {
    "scenarios": Scenario,
    "turns": Turn,
    "expect": Expect,
    "ticket": TicketExpect,
}


class ScenarioFormatError(Exception):
    """A scenario file is unreadable or invalid; the message is one line naming the key."""


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    source: Path
    index: int
    """1-based position in its file."""

    @property
    def where(self) -> str:
        return f"{self.source}: scenario {self.scenario.name!r}"


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            if not found:
                raise ScenarioFormatError(f"{path}: no scenario files (*.yaml) in this directory")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ScenarioFormatError(f"{path}: no such file or directory")
    return files


def _describe(loc: Sequence[int | str]) -> str:
    """('turns', 0, 'expect', 'intnet') → 'turn 1: expect.intnet'. Union member tags that
    pydantic puts in the path ('TicketExpect') are left out: they are not keys."""
    turn, keys = "", ""
    parts = [p for p in loc if isinstance(p, int) or re.fullmatch(r"[a-z_]+", p)]
    i = 0
    while i < len(parts):
        part = parts[i]
        if part == "turns" and i + 1 < len(parts) and isinstance(parts[i + 1], int):
            turn, keys = f"turn {int(parts[i + 1]) + 1}", ""
            i += 2
            continue
        keys += f"[{part}]" if isinstance(part, int) else (f".{part}" if keys else str(part))
        i += 1
    return ": ".join(p for p in (turn, keys) if p) or "(root)"


def _error_line(path: Path, raw: Any, exc: ValidationError) -> str:
    first = exc.errors()[0]
    loc = list(first["loc"])
    where = f"{path}"
    if len(loc) >= 2 and loc[0] == "scenarios" and isinstance(loc[1], int):
        index = loc[1]
        name = None
        with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
            name = raw["scenarios"][index].get("name")
        where += f": scenario {name!r}" if name else f": scenario #{index + 1}"
        loc = loc[2:]
    key = _describe(loc)
    if first["type"] == "extra_forbidden":
        parent = next(
            (_MODELS[p] for p in reversed(loc[:-1]) if isinstance(p, str) and p in _MODELS),
            Scenario if where.count("scenario ") else ScenarioFile,
        )
        allowed = ", ".join(allowed_keys(parent))
        return f"{where}: {key}: unknown key (allowed: {allowed})"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {key}: {message}"


def load_file(path: Path) -> list[LoadedScenario]:
    try:
        raw = read_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioFormatError(f"{path}: not valid YAML{at}: {problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioFormatError(f"{path}: cannot read: {exc}") from None
    if not isinstance(raw, dict) or "scenarios" not in raw:
        raise ScenarioFormatError(f"{path}: expected a mapping with a `scenarios:` list")
    try:
        parsed = ScenarioFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioFormatError(_error_line(path, raw, exc)) from None
    return [LoadedScenario(s, path, i) for i, s in enumerate(parsed.scenarios, start=1)]


def load_scenarios(paths: Iterable[Path]) -> list[LoadedScenario]:
    """Every scenario under `paths`; names must be unique (reports and JUnit key on them)."""
    loaded: list[LoadedScenario] = []
    seen: dict[str, LoadedScenario] = {}
    for path in scenario_files(paths):
        for item in load_file(path):
            other = seen.get(item.scenario.name)
            if other is not None:
                raise ScenarioFormatError(
                    f"{item.where}: name: duplicate scenario name (also in {other.source})"
                )
            seen[item.scenario.name] = item
            loaded.append(item)
    return loaded


def check_names(
    loaded: Iterable[LoadedScenario], *, intents: Iterable[str], tools: Iterable[str]
) -> None:
    """Intent and tool names must exist: a misspelt name would fail forever, or worse,
    `tools_not_called: [payment.refund]` would pass forever."""
    known_intents = set(intents) | set(INTENT_ALIASES) | set(PSEUDO_INTENTS)
    known_tools = set(tools)
    for item in loaded:
        for number, turn in enumerate(item.scenario.turns, start=1):
            expect = turn.expect
            if expect.intent is not None and expect.intent not in known_intents:
                raise ScenarioFormatError(
                    f"{item.where}: turn {number}: expect.intent: unknown intent "
                    f"{expect.intent!r} (known: {', '.join(sorted(known_intents))})"
                )
            for key in ("tools", "tools_not_called"):
                for name in getattr(expect, key) or []:
                    if name not in known_tools:
                        raise ScenarioFormatError(
                            f"{item.where}: turn {number}: expect.{key}: unknown tool "
                            f"{name!r} (known: {', '.join(sorted(known_tools))})"
                        )
