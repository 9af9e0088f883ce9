"""`switchboard connectors check`: is each of the company's systems the policy connects
reachable, with the credentials it has? One line per connector; exit 1 if any is not."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

connectors_app = typer.Typer(
    help="The company's systems the policy connects (connectors:).", no_args_is_help=True
)


@connectors_app.command("check")
def check() -> None:
    """Call each connector's health check (or a cheap call) and print one line each."""
    from graph.policy import PolicyError, load_policy
    from switchboard.settings import ConfigError, get_settings
    from tools.connectors import check_connectors

    try:
        policy = load_policy(get_settings().policy_path)
    except (ConfigError, PolicyError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if not policy.connectors:
        typer.echo("no connectors in the policy")
        return
    checks = asyncio.run(check_connectors(policy.connectors, policy.directory))
    for result in checks:
        typer.echo(result.line())
    if not all(result.ok for result in checks):
        raise typer.Exit(1)


def connector_problem(policy_path: Path) -> str | None:
    """Why the policy's connectors cannot start as configured (an OpenAPI operation that
    is not in its document, an MCP tool the server lacks): checked before serving, so it
    is one line at start, not a traceback from the app's start-up. A system that is merely
    down is not a problem here: the bot serves without it."""
    from graph.policy import load_policy
    from tools.connectors import open_connectors
    from tools.connectors.config import ConnectorError

    policy = load_policy(policy_path)
    if not policy.connectors:
        return None

    async def start() -> None:
        async with open_connectors(policy.connectors, policy.providers, policy.directory):
            pass

    try:
        asyncio.run(start())
    except ConnectorError as exc:
        return f"policy error: {policy_path}: {exc}"
    return None
