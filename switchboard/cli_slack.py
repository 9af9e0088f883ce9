"""`switchboard slack ...`: Socket Mode for deployments without a public URL."""

from __future__ import annotations

import typer

slack_app = typer.Typer(help="The Slack channel.", no_args_is_help=True)
