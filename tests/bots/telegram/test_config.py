"""Configuration: a token without a webhook secret, malformed values, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.bots.telegram.conftest import TOKEN, telegram_settings
from tests.support.databases import DatabaseFactory
from tests.support.fake_telegram import FakeTelegram, message_update
from tests.support.server import run_server


async def test_without_a_secret_the_webhook_refuses_everything(
    sqlite_databases: DatabaseFactory, fake_telegram: FakeTelegram
) -> None:
    settings = telegram_settings(
        sqlite_databases.fresh(), fake_telegram, TELEGRAM_WEBHOOK_SECRET=None
    )
    async with run_server(settings) as server, httpx.AsyncClient(base_url=server.url) as http:
        for secret in ("", "anything"):
            response = await http.post(
                "/telegram/webhook",
                json=message_update(1, "hi", message_id=1),
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
            assert response.status_code == 401
            assert "not enabled" in response.json()["error"]
        assert "telegram" in server.runtime.engine.adapters  # still delivers (poll, staff)


def _cli(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SWITCHBOARD_", "TELEGRAM_"))}
    return subprocess.run(
        [sys.executable, "-m", "switchboard.cli.main", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_cli_set_webhook_registers_url_and_secret(fake_telegram: FakeTelegram) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": fake_telegram.url}
    url = "https://support.example.com/telegram/webhook"

    missing = await _run(["telegram", "set-webhook", "--url", url], **env)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "config error: TELEGRAM_WEBHOOK_SECRET: required for a webhook"
    )

    done = await _run(
        ["telegram", "set-webhook", "--url", url], TELEGRAM_WEBHOOK_SECRET="s3cret_x", **env
    )
    assert done.returncode == 0, done.stderr
    assert fake_telegram.webhook["url"] == url
    assert fake_telegram.webhook["secret_token"] == "s3cret_x"
    assert fake_telegram.webhook["allowed_updates"] == ["message", "callback_query"]
    assert "s3cret_x" not in done.stdout + done.stderr

    info = await _run(["telegram", "webhook-info"], **env)
    assert f"url: {url}" in info.stdout


async def test_cli_bad_token_fails_in_one_line() -> None:
    result = await _run(["telegram", "poll"], TELEGRAM_BOT_TOKEN="not-a-token")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "config error: TELEGRAM_BOT_TOKEN: not a bot token (expected <bot id>:<secret> from "
        "@BotFather)"
    ]


async def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a real process; in a thread, so the fake server keeps answering."""
    import asyncio

    return await asyncio.to_thread(_cli, args, **env)
