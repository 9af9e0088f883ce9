"""`switchboard telegram ...`: webhook registration and long polling."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from switchboard.settings import ConfigError, Settings, get_settings

telegram_app = typer.Typer(help="The Telegram channel.", no_args_is_help=True)

WEBHOOK_PATH = "/telegram/webhook"
T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def _settings(*, need_secret: bool = False) -> Settings:
    """Settings with a bot token (and the webhook secret when asked), else one line, exit 2."""
    try:
        settings = get_settings()
    except ConfigError as exc:
        _fail(str(exc))
    if settings.telegram_bot_token is None:
        _fail("config error: TELEGRAM_BOT_TOKEN: not set (the token @BotFather gave you)")
    if need_secret and settings.telegram_webhook_secret is None:
        _fail("config error: TELEGRAM_WEBHOOK_SECRET: required for a webhook")
    return settings


def _with_bot(settings: Settings, call: Callable[[Any], Awaitable[T]]) -> T:
    """Run one Bot API call; a Telegram error is one line and exit 1, not a traceback."""
    from aiogram.exceptions import TelegramAPIError

    from bots.telegram import create_bot

    assert settings.telegram_bot_token is not None
    bot = create_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_url)

    async def run() -> T:
        try:
            return await call(bot)
        finally:
            await bot.session.close()

    try:
        return asyncio.run(run())
    except TelegramAPIError as exc:
        typer.echo(f"telegram: {exc.message}", err=True)
        raise typer.Exit(1) from None


@telegram_app.command("set-webhook")
def set_webhook(
    url: Annotated[
        str | None,
        typer.Option(
            help="Public HTTPS URL of POST /telegram/webhook; default: "
            "SWITCHBOARD_PUBLIC_URL + /telegram/webhook."
        ),
    ] = None,
) -> None:
    """Register this server's webhook (with TELEGRAM_WEBHOOK_SECRET) with Telegram."""
    from bots.telegram.channel import register_webhook

    settings = _settings(need_secret=True)
    target = url or settings.public_url.rstrip("/") + WEBHOOK_PATH
    # Telegram only calls HTTPS webhooks; a local Bot API server (TELEGRAM_API_URL) may not.
    if not target.startswith("https://") and settings.telegram_api_url is None:
        _fail(f"--url: Telegram only delivers to https:// URLs, got {target}")
    assert settings.telegram_webhook_secret is not None
    secret = settings.telegram_webhook_secret.get_secret_value()
    _with_bot(settings, lambda bot: register_webhook(bot, target, secret))
    typer.echo(f"webhook set: {target}")


@telegram_app.command("delete-webhook")
def delete_webhook() -> None:
    """Stop webhook delivery (updates wait for `poll`, for up to 24 hours)."""
    settings = _settings()
    _with_bot(settings, lambda bot: bot.delete_webhook(drop_pending_updates=False))
    typer.echo("webhook deleted")


@telegram_app.command("webhook-info")
def webhook_info() -> None:
    """Where Telegram delivers updates, how many wait, and the last delivery error."""
    settings = _settings()
    info = _with_bot(settings, lambda bot: bot.get_webhook_info())
    typer.echo(f"url: {info.url or '(none: polling)'}")
    typer.echo(f"pending updates: {info.pending_update_count}")
    if info.last_error_message:
        typer.echo(f"last error: {info.last_error_message}")


@telegram_app.command("poll")
def poll(
    timeout: Annotated[int, typer.Option(help="Long-poll timeout in seconds.")] = 30,
) -> None:
    """Receive updates by long polling (no public URL needed); deletes the webhook first
    and resumes after the last processed update. Runs until Ctrl-C."""
    from switchboard.channels.table import run_polling
    from switchboard.logs import configure_logging

    settings = _settings()
    configure_logging(settings.log_level)
    typer.echo("polling Telegram; Ctrl-C to stop")
    try:
        asyncio.run(run_polling(settings, timeout=timeout))
    except KeyboardInterrupt:
        typer.echo("stopped")
