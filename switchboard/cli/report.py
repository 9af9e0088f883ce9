"""`switchboard report` (what the bot did for the team) and `switchboard customers export`
(a customer's right of access): read-only commands over the database."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from switchboard.settings import ConfigError, Settings, get_settings

Result = TypeVar("Result")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([mhdw])$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def parse_moment(value: str, *, now: datetime) -> datetime:
    """`7d`, `12h`, `30m`, `2w` (that long before now) or an ISO date/time (UTC if naive)."""
    match = _DURATION.match(value.strip())
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r}: use 7d, 12h, 30m, 2w or a date like 2026-01-31"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _run(settings: Settings, work: Callable[[Any], Awaitable[Result]]) -> Result:
    from storage.db import create_engine

    async def go() -> Result:
        engine = create_engine(settings.database_url)
        try:
            async with engine.connect() as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(go())


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, unit: str = "") -> str:
    return "–" if value is None else f"{value:,.2f}{unit}".replace(".00" + unit, unit)


def format_table(figures: dict[str, Any]) -> str:
    """The report for people: aligned label/value lines, then intents and reasons."""
    first = figures["first_response_ms"]
    csat = figures["csat"]
    approvals = figures["approvals"]
    lines = [
        f"Switchboard report {figures['since'][:16]} → {figures['until'][:16]}"
        + (f" ({figures['channel']})" if figures["channel"] else ""),
        "",
    ]
    rows = [
        ("Conversations", f"{figures['conversations']:,}"),
        ("Contained (no person)", _pct(figures["containment_rate"])),
        ("Handed to a person", _pct(figures["handoff_rate"])),
        (
            "First response, bot p50 / p90",
            f"{_num(first['bot']['p50'], ' ms')} / {_num(first['bot']['p90'], ' ms')}",
        ),
        (
            "First response, staff p50 / p90",
            f"{_num(first['staff']['p50'], ' ms')} / {_num(first['staff']['p90'], ' ms')}",
        ),
        ("Resolution p50", _num(figures["resolution_minutes_p50"], " min")),
        (
            "CSAT average (responses, rate)",
            f"{_num(csat['average'])} ({csat['responses']}, {_pct(csat['response_rate'])})",
        ),
        ("Low-confidence turns", _pct(figures["low_confidence_share"])),
        ("LLM calls per turn", _num(figures["llm_calls_per_turn"])),
        ("Tokens per conversation", _num(figures["tokens_per_conversation"])),
        ("LLM cost", f"${figures['cost_usd']:.4f}"),
        (
            "Approvals (approved, median wait)",
            f"{approvals['count']} "
            f"({_pct(approvals['approve_rate'])}, {_num(approvals['median_wait_s'], ' s')})",
        ),
        ("Delivery failures", str(figures["delivery_failures"])),
    ]
    width = max(len(label) for label, _ in rows)
    lines += [f"{label:<{width}}  {value}" for label, value in rows]
    if figures["handoff_reasons"]:
        lines += ["", "Handoff reasons"]
        lines += [f"  {reason:<30} {n}" for reason, n in figures["handoff_reasons"].items()]
    if figures["intents"]:
        lines += ["", f"  {'intent':<22} {'turns':>6} {'contained':>10} {'confidence':>11}"]
        lines += [
            f"  {i['intent']:<22} {i['turns']:>6} {_pct(i['containment_rate']):>10} "
            f"{_num(i['avg_confidence']):>11}"
            for i in figures["intents"]
        ]
    if figures["languages"]:
        lines += ["", f"  {'language':<22} {'convs':>6} {'contained':>10} {'handed off':>11}"]
        lines += [
            f"  {row['language'] or 'not recorded':<22} {row['conversations']:>6} "
            f"{_pct(row['containment_rate']):>10} {_pct(row['handoff_rate']):>11}"
            for row in figures["languages"]
        ]
    if len(figures["policy_versions"]) > 1:  # one version: nothing to compare
        lines += ["", f"  {'policy version':<22} {'convs':>6} {'contained':>10} {'handed off':>11}"]
        lines += [
            f"  {row['policy_version'] or 'not recorded':<22} {row['conversations']:>6} "
            f"{_pct(row['containment_rate']):>10} {_pct(row['handoff_rate']):>11} "
            f"{'CSAT ' + str(row['csat_average']) if row['csat_average'] is not None else ''}"
            for row in figures["policy_versions"]
        ]
    return "\n".join(lines)


def report_command(
    since: Annotated[str, typer.Option(help="Start: 7d, 12h, 2w ago, or a date.")] = "7d",
    until: Annotated[str | None, typer.Option(help="End (exclusive): a date; default now.")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel (webchat, …).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """What the bot did for the team: containment, handoffs, response times, CSAT, cost."""
    from graph.policy import PolicyError, load_policy
    from switchboard.reports.report import Window, build_report

    settings = _settings()
    now = datetime.now(UTC)
    start = parse_moment(since, now=now)
    end = parse_moment(until, now=now) if until else now + timedelta(seconds=1)
    if end <= start:
        raise typer.BadParameter("--until must be after --since")
    try:
        threshold = load_policy(settings.policy_path).classifier.threshold
    except PolicyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    window = Window(since=start, until=end, channel=channel, low_confidence=threshold)
    figures = _run(settings, lambda conn: build_report(conn, window))
    typer.echo(json.dumps(figures, indent=2) if as_json else format_table(figures))


def customers_export_command(
    user_id: Annotated[str, typer.Argument(help="The customer's user id, e.g. cus_maria.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Everything held about a customer as one JSON document (GDPR right of access)."""
    from switchboard.reports.export import customer_document

    document = _run(_settings(), lambda conn: customer_document(conn, user_id))
    if document is None:
        typer.echo(f"no customer with user id {user_id!r}", err=True)
        raise typer.Exit(2)
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
