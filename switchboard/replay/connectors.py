"""The company's systems during a replay: nothing that changes them is ever called.

A connector tool that writes is recorded as "would call" and answered with what the
original turn got for the same call (else an empty answer); a read is answered from the
original turn's trace, or fails as "not recorded" when the original never made it (with
`live_reads`, reads are really made). Built-in tools are left alone: their writes land
in the replay's rolled-back transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from graph.pii import redact
from tools.base import Caller, Catalog, ToolError, ToolSpec
from tools.base import _brief as brief  # the very shortening the trace applied

WOULD_CALL = "would call"
FROM_TRACE = "from trace"
NOT_RECORDED = "not recorded"
CUT_SHORT = "cut short in the trace"
LIVE = "live"


class NotRecorded(ToolError):
    """The original turn made no such call, so there is no answer to replay."""

    status = "not_recorded"


class RecordedFailure(ToolError):
    """The original call failed: the replay fails the same way."""


@dataclass
class CallLog:
    """The original turn's connector calls, and how each replayed one was served."""

    original: list[dict[str, Any]] = field(default_factory=list)
    served: list[tuple[str, str]] = field(default_factory=list)
    """(tool, how) for each connector call of the replayed turn."""

    def start_turn(self, original_calls: list[dict[str, Any]]) -> None:
        self.original = [c for c in original_calls if c.get("connector")]
        self.served = []

    def recorded(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any] | None:
        wanted = redact(brief(arguments)).text  # as the trace stored it: short and masked
        for entry in self.original:
            if entry.get("tool") == tool and entry.get("arguments") == wanted:
                return entry
        return None


def _answer(entry: dict[str, Any]) -> Any:
    """The original answer; raises as the original call failed, or `ValueError` when the
    trace kept only its beginning (answers are shortened there)."""
    if entry.get("status") != "ok":
        failure = RecordedFailure(str(entry.get("error") or "failed"))
        failure.status = str(entry.get("status") or "error")
        raise failure
    return json.loads(str(entry.get("result", "null")))


def _stand_in(spec: ToolSpec, log: CallLog) -> ToolSpec:
    async def served(_session: Any, _caller: Caller, **arguments: Any) -> Any:
        entry = log.recorded(spec.name, arguments)
        if spec.risk != "read":
            log.served.append((spec.name, WOULD_CALL))
            try:
                return _answer(entry) if entry is not None else {}
            except (ValueError, RecordedFailure):
                return {}
        if entry is None:
            log.served.append((spec.name, NOT_RECORDED))
            raise NotRecorded(f"{spec.name}: the original turn did not call it")
        try:
            answer = _answer(entry)
        except ValueError:
            log.served.append((spec.name, CUT_SHORT))
            raise NotRecorded(f"{spec.name}: the trace kept only part of its answer") from None
        log.served.append((spec.name, FROM_TRACE))
        return answer

    return replace(spec, func=served)


def _live(spec: ToolSpec, log: CallLog) -> ToolSpec:
    async def called(session: Any, caller: Caller, **arguments: Any) -> Any:
        log.served.append((spec.name, LIVE))
        return await spec.func(session, caller, **arguments)

    return replace(spec, func=called)


def sandboxed(catalog: Catalog, log: CallLog, *, live_reads: bool = False) -> dict[str, ToolSpec]:
    """The catalog with every connector tool replaced as the module says."""
    safe: dict[str, ToolSpec] = {}
    for name, spec in catalog.items():
        if spec.connector is None:
            safe[name] = spec
        elif spec.risk == "read" and live_reads:
            safe[name] = _live(spec, log)
        else:
            safe[name] = _stand_in(spec, log)
    return safe
