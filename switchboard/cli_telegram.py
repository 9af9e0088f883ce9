"""`switchboard telegram ...`: webhook registration and long polling."""

from __future__ import annotations

import typer

telegram_app = typer.Typer(help="The Telegram channel.", no_args_is_help=True)
