"""A replay's result as text (the default), JSON, or one self-contained HTML page."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from switchboard.replay.compare import KINDS, TurnView
from switchboard.replay.connectors import CUT_SHORT, NOT_RECORDED
from switchboard.replay.run import ReplayedTurn, ReplayReport

#: The rows a changed turn shows side by side.
ROWS = ("intent", "route", "path", "tools", "ticket", "handoff", "approval", "llm", "replies")


def _value(view: TurnView, row: str) -> str:
    if row == "path":
        return " > ".join(view.path) or "-"
    if row == "tools":
        return ", ".join(view.tools) or "-"
    if row in ("handoff", "approval"):
        return "yes" if getattr(view, row) else "no"
    if row == "llm":
        return f"{view.llm_calls} calls, ${view.cost_usd:.4f}"
    if row == "replies":
        return " | ".join(view.replies) or "-"
    value = getattr(view, row)
    return "-" if value is None else str(value)


def _notes(report: ReplayReport) -> list[str]:
    notes = []
    if not report.llm:
        notes.append("no model: replayed as if none were configured (use --llm for the model)")
    skipped = sum(report.skipped.values())
    if skipped:
        why = ", ".join(f"{count} {reason}" for reason, count in sorted(report.skipped.items()))
        notes.append(f"{skipped} customer messages were no bot turn and were skipped ({why})")
    hidden = report.changed_turns - len(report.changed)
    if hidden:
        notes.append(f"the first {len(report.changed)} changed turns are shown, {hidden} more not")
    if report.connector_calls:
        how = ", ".join(f"{n} {h}" for h, n in sorted(report.connector_calls.items()))
        notes.append(f"connector calls: {how} (writes are never made)")
    unanswered = report.connector_calls[NOT_RECORDED] + report.connector_calls[CUT_SHORT]
    if unanswered and not report.live_reads:
        notes.append(
            f"{unanswered} connector reads had no answer in the trace and failed: "
            "--live-reads makes them for real"
        )
    return notes


def link(report: ReplayReport, conversation_id: int) -> str | None:
    return f"{report.admin_url}/{conversation_id}" if report.admin_url else None


def _chosen(report: ReplayReport) -> str:
    chosen = report.selection
    since = f" since {chosen.since:%Y-%m-%d %H:%M} UTC" if chosen.since else ""
    channel = f" on {chosen.channel}" if chosen.channel else ""
    limit = f" (at most {chosen.limit})" if chosen.limit else ""
    return f"conversations with a customer message{since}{channel}{limit}"


#: Width of the original's column; longer values go on two lines.
COLUMN = 44


def as_text(report: ReplayReport) -> str:
    lines = [
        f"Replay of {report.policy} (version {report.policy_version}), {_chosen(report)}: "
        f"{report.conversations} conversations, {report.turns} turns replayed, "
        f"{report.changed_turns} changed ({report.turns_per_s:.0f} turns/s)",
    ]
    kinds = [f"{kind} {report.by_kind[kind]}" for kind in KINDS if report.by_kind[kind]]
    if kinds:
        lines.append("Changed by kind: " + ", ".join(kinds))
    lines += [f"Note: {note}" for note in _notes(report)]
    for turn in report.changed:
        lines += ["", _turn_heading(report, turn)]
        lines.append(f"  {'':<9} {'original':<{COLUMN}} replay")
        for row in ROWS:
            before, after = _value(turn.original, row), _value(turn.replayed, row)
            mark = "*" if before != after else " "
            if len(before) <= COLUMN and len(after) <= COLUMN:
                lines.append(f"{mark} {row:<9} {before:<{COLUMN}} {after}")
            else:
                lines.append(f"{mark} {row:<9} original: {_cut(before)}")
                lines.append(f"  {'':<9} replay:   {_cut(after)}")
    return "\n".join(lines) + "\n"


def _cut(text: str, width: int = 300) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _turn_heading(report: ReplayReport, turn: ReplayedTurn) -> str:
    where = link(report, turn.conversation_id)
    return (
        f"conversation {turn.conversation_id}, message {turn.message_id} "
        f"({turn.at:%Y-%m-%d %H:%M}): {turn.text!r} changed: {', '.join(turn.changed)}"
        + (f"\n  {where}" if where else "")
    )


def as_json(report: ReplayReport) -> str:
    data: dict[str, Any] = {
        "policy": report.policy,
        "policy_version": report.policy_version,
        "llm": report.llm,
        "live_reads": report.live_reads,
        "selection": {
            "since": report.selection.since.isoformat() if report.selection.since else None,
            "channel": report.selection.channel,
            "limit": report.selection.limit,
        },
        "conversations": report.conversations,
        "turns_replayed": report.turns,
        "turns_changed": report.changed_turns,
        "changed_by_kind": {kind: report.by_kind[kind] for kind in KINDS},
        "skipped": dict(report.skipped),
        "connector_calls": dict(report.connector_calls),
        "notes": _notes(report),
        "seconds": round(report.seconds, 3),
        "changed": [
            {
                "conversation_id": turn.conversation_id,
                "message_id": turn.message_id,
                "admin_url": link(report, turn.conversation_id),
                "text": turn.text,
                "at": turn.at.isoformat(),
                "changes": turn.changed,
                "original": turn.original.as_dict(),
                "replay": turn.replayed.as_dict(),
            }
            for turn in report.changed
        ],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
tr.changed td{background:#fff4d6}
h2{font-size:1em;margin-top:2em}
"""


def as_html(report: ReplayReport) -> str:
    kinds = "".join(f"<tr><td>{kind}</td><td>{report.by_kind[kind]}</td></tr>" for kind in KINDS)
    notes = "".join(f"<li>{escape(note)}</li>" for note in _notes(report))
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Replay of {escape(report.policy)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Replay of {escape(report.policy)} (version {escape(report.policy_version)})</h1>",
        f"<p>{escape(_chosen(report))}: {report.conversations} conversations, {report.turns} turns replayed, "
        f"<strong>{report.changed_turns} changed</strong>.</p>",
        f"<table><tr><th>change</th><th>turns</th></tr>{kinds}</table><ul>{notes}</ul>",
    ]
    for turn in report.changed:
        where = link(report, turn.conversation_id)
        title = f"conversation {turn.conversation_id}, message {turn.message_id}"
        heading = f"<a href='{escape(where)}'>{title}</a>" if where else title
        rows = "".join(
            f"<tr class='{'changed' if _value(turn.original, r) != _value(turn.replayed, r) else ''}'>"
            f"<td>{r}</td><td>{escape(_value(turn.original, r))}</td>"
            f"<td>{escape(_value(turn.replayed, r))}</td></tr>"
            for r in ROWS
        )
        parts.append(
            f"<h2>{heading} ({turn.at:%Y-%m-%d %H:%M}): {escape(repr(turn.text))}</h2>"
            f"<table><tr><th></th><th>original</th><th>replay</th></tr>{rows}</table>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
