"""`switchboard policy replay NEW_POLICY`: what a policy change would do to stored
conversations, before it ships (switchboard/replay/). Changes are information, not
failure: exit 0 when it ran, 2 with one line for a bad policy file or option."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from switchboard.cli.exit_codes import fail, settings_or_exit


def replay_command(
    policy_file: Annotated[Path, typer.Argument(help="The new policy file to replay against.")],
    since: Annotated[
        str, typer.Option(help="Conversations with a message since: 7d, 12h, 2w ago, or a date.")
    ] = "7d",
    channel: Annotated[str | None, typer.Option(help="Only this channel (webchat...).")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many conversations.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    html: Annotated[
        Path | None, typer.Option(help="Also write the report as one HTML page here.")
    ] = None,
    llm: Annotated[
        bool, typer.Option(help="Use the configured model (default: replay without one).")
    ] = False,
    live_reads: Annotated[
        bool,
        typer.Option(help="Make connector reads for real (default: answered from the trace)."),
    ] = False,
) -> None:
    """Replay stored conversations turn by turn through NEW_POLICY in a sandbox (nothing
    is committed, no connector write is made) and report what would change."""
    from switchboard.cli.report import parse_moment
    from switchboard.policy_tools.lines import check_file
    from switchboard.replay import Selection, replay
    from switchboard.replay.report import as_html, as_text
    from switchboard.replay.report import as_json as json_report

    if limit is not None and limit < 1:
        fail("--limit: give a number of conversations of at least 1")
    try:
        start = parse_moment(since, now=datetime.now(UTC))
    except typer.BadParameter as exc:
        fail(f"--since: {exc.message}")
    if not policy_file.is_file():
        fail(f"{policy_file}: no such policy file")
    policy, problems = check_file(policy_file)
    if policy is None:  # the first problem, as `switchboard policy check` words it
        fail(" ".join((problems or [f"{policy_file}: not a policy file"])[0].split()))
    settings = settings_or_exit()
    if llm and not settings.llm_model:
        fail("--llm: no model is configured (SWITCHBOARD_LLM_MODEL)")
    report = asyncio.run(
        replay(
            settings,
            policy,
            Selection(since=start, channel=channel, limit=limit),
            llm=llm,
            live_reads=live_reads,
            policy_label=str(policy_file),
        )
    )
    if html is not None:
        html.write_text(as_html(report), encoding="utf-8")
    typer.echo(json_report(report) if as_json else as_text(report), nl=False)
