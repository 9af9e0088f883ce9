"""`switchboard eval`: run conversation scenarios against the real bot and report.

Exit status: 0 all passed, 1 a scenario failed, 2 the files or configuration are wrong
(one line on stderr naming file, scenario and key).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import structlog
import typer

from switchboard.settings import ConfigError, get_settings


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The report is the output: engine logs go to stderr, warnings and up only."""
    previous = structlog.get_config()
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
    )
    try:
        yield
    finally:
        structlog.configure(**previous)


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def eval_command(
    paths: Annotated[list[Path], typer.Argument(help="Scenario files or directories.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON instead of text.")
    ] = False,
    junit: Annotated[
        Path | None, typer.Option("--junit", help="Also write a JUnit XML report here.")
    ] = None,
    llm: Annotated[
        bool,
        typer.Option("--llm", help="Use the configured LLM (SWITCHBOARD_LLM_*); offline if not."),
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="A PostgreSQL server to run on (a throwaway database per scenario, "
            "dropped afterwards). Default: temporary SQLite files.",
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Only scenarios with this tag (repeatable).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-k", help="Only scenarios whose name contains this.")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Turn lines only for failed turns.")
    ] = False,
) -> None:
    """Run conversation scenarios (YAML) through the real engine and channels, each in a
    fresh database with the demo company; report every failed expectation."""
    from switchboard.scenarios import (
        SandboxError,
        ScenarioFormatError,
        load_scenarios,
        run_scenarios,
    )
    from switchboard.scenarios.report import format_json, format_junit, format_text

    try:
        settings = get_settings()
    except ConfigError as exc:
        _fail(str(exc))
    if llm and not settings.llm_configured:
        _fail("--llm: no model configured (set SWITCHBOARD_LLM_MODEL)")
    try:
        loaded = load_scenarios(paths)
    except ScenarioFormatError as exc:
        _fail(str(exc))
    if tag:
        loaded = [s for s in loaded if set(tag) & set(s.scenario.tags)]
    if name:
        loaded = [s for s in loaded if name.casefold() in s.scenario.name.casefold()]
    if not loaded:
        _fail("no scenario matches --tag/--name")
    with _quiet_logs():
        try:
            report = asyncio.run(
                run_scenarios(loaded, settings, llm=llm, database_url=database_url)
            )
        except (ScenarioFormatError, SandboxError) as exc:
            _fail(str(exc))
    if junit is not None:
        junit.write_text(format_junit(report), encoding="utf-8")
    typer.echo(format_json(report) if as_json else format_text(report, turns=not quiet))
    raise typer.Exit(0 if report.ok else 1)
