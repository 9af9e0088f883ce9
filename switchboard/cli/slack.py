"""`switchboard slack ...`: Socket Mode for deployments without a public URL."""

from __future__ import annotations

from typing import Annotated

import typer

slack_app = typer.Typer(help="The Slack channel.", no_args_is_help=True)


@slack_app.command("socket")
def socket(
    host: Annotated[str, typer.Option(help="Interface for the web chat and admin API.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port for the web chat and admin API.")] = 8000,
) -> None:
    """Serve everything, with Slack events over Socket Mode (SLACK_APP_TOKEN) instead of
    POST /slack/events: Slack needs no public URL to reach this machine."""
    import uvicorn

    from graph.policy import PolicyError, load_policy
    from switchboard.app import create_app
    from switchboard.logs import configure_logging
    from switchboard.settings import ConfigError, get_settings

    try:
        settings = get_settings()
        if settings.slack_app_token is None:
            raise ConfigError("config error: SLACK_APP_TOKEN: required for Socket Mode (xapp-…)")
        load_policy(settings.policy_path)
        app = create_app(settings)
    except (ConfigError, PolicyError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    uvicorn.run(app, host=host, port=port, log_level="warning", lifespan="on")
