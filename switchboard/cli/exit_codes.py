"""How every `switchboard` command fails: one line on standard error, exit code 2."""

from __future__ import annotations

from typing import NoReturn

import typer

from switchboard.settings import ConfigError, Settings, get_settings


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        fail(str(exc))


def fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)
