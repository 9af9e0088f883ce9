"""`switchboard eval`: run conversation scenarios against the real bot and report, and
`switchboard eval capture ID`: write one from a conversation in the database.

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
from typing import Annotated, Any, NoReturn

import structlog
import typer
from typer.core import TyperGroup

from switchboard.settings import ConfigError, get_settings


class _RunUnlessNamed(TyperGroup):
    """`switchboard eval FILES…` has always run scenarios: anything but a subcommand's
    name (or `--help`) is the start of `run`'s arguments. (`ctx` is click's context as
    vendored by typer, which has no public name to annotate with.)"""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunUnlessNamed,
    no_args_is_help=True,
    help="Conversation scenarios: `switchboard eval FILES…` runs them (same as `eval run`), "
    "`switchboard eval capture ID` writes one from a stored conversation.",
)


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


@eval_app.command("run")
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


@eval_app.command("capture")
def capture_command(
    conversation_id: Annotated[int, typer.Argument(help="The conversation's id (admin console).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the scenario here, not to stdout.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the --output file.")] = False,
) -> None:
    """Write a scenario from a stored conversation (SWITCHBOARD_DATABASE_URL): its customer
    messages as turns, each expecting what it met (intent, route, tools, ticket, mode),
    ready for `switchboard eval`."""
    from graph.policy import PolicyError, load_policy
    from storage.db import create_engine, session_factory
    from storage.demo_file import DemoFileError
    from storage.migrate import schema_problem
    from switchboard.scenarios.capture import (
        ConversationNotFound,
        NothingToReplay,
        ReplayTarget,
        capture_scenario,
    )

    try:
        settings = get_settings()
        target = ReplayTarget.for_policy(load_policy(settings.policy_path), settings.policy_path)
    except (ConfigError, PolicyError, DemoFileError) as exc:
        _fail(str(exc))
    if output is not None and output.exists() and not force:
        _fail(f"{output} exists: use --force to overwrite it")
    problem = schema_problem(settings.database_url)
    if problem:
        _fail(problem)

    async def capture() -> str:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await capture_scenario(session, conversation_id, target)
        finally:
            await engine.dispose()

    try:
        text = asyncio.run(capture())
    except (ConversationNotFound, NothingToReplay) as exc:
        _fail(str(exc))
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {output}: run it with `switchboard eval {output}`")
