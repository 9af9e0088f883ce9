"""make run's promise: in demo mode the console is on with a demo account printed at start."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.server import run_server

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_demo_mode_prints_a_working_sign_in(
    sqlite_databases: DatabaseFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        sqlite_databases.fresh(), SWITCHBOARD_DEMO="true", SWITCHBOARD_ADMIN_TOKEN=None
    )
    async with run_server(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        printed = capsys.readouterr().err
        found = re.search(r"Sign in as (\S+) with password (\S+)", printed)
        assert found, printed
        assert "/admin/inbox" in printed
        email, password = found.groups()
        signed = await http.post(
            "/admin/login", content=f"email={email}&password={password}", headers=FORM
        )
        assert signed.status_code == 303
        assert (await http.get("/admin/inbox")).status_code == 200
        # Someone can answer now, so asking for a person waits for one.
        turn = await (await open_webchat(http, "cus_maria")).say("I want to talk to a human")
        assert turn["mode"] == "human" and "waiting for a person" in turn["replies"][0]["text"]
