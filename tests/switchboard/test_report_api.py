"""The analytics page's access rules and the NDJSON export, over HTTP on both databases."""

from __future__ import annotations

import json

import httpx
import pytest

from switchboard.settings import Settings
from tests.conftest import ADMIN_TOKEN, make_settings
from tests.support.databases import DatabaseFactory
from tests.support.report_data import load_report_data


@pytest.fixture
async def settings(database_url: str) -> Settings:
    await load_report_data(database_url)
    return make_settings(database_url)


async def test_export_and_page(http: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    """One server per database (starting one dominates): export, then the page's access."""
    await export_streams_ndjson(http, admin_headers)
    await export_needs_the_token_and_a_real_date(http)
    await page_login_cookie_and_token_link(http)


async def export_streams_ndjson(http: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    async with http.stream(
        "GET",
        "/api/admin/export/conversations",
        params={"since": "2030-01-01T00:00:00Z"},
        headers=admin_headers,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        records = [json.loads(line) async for line in response.aiter_lines() if line]
    assert len(records) == 4  # the December conversation was updated before `since`
    first = records[0]
    assert [m["role"] for m in first["messages"]] == ["customer", "bot", "customer", "bot"]
    assert [t["intent"] for t in first["turns"]] == ["order_status", "order_status"]
    assert first["csat"]["score"] == 5
    handed = records[1]
    assert handed["handoffs"][0]["reason"] == "customer_request"
    assert "idempotency_key" not in handed["handoffs"][0]


async def export_needs_the_token_and_a_real_date(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/admin/export/conversations")
    assert response.status_code == 401 and "error" in response.json()
    response = await http.get(
        "/api/admin/export/conversations",
        params={"since": "yesterday-ish"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert response.status_code == 422 and response.json()["error"].startswith("since")


async def page_login_cookie_and_token_link(http: httpx.AsyncClient) -> None:
    page = await http.get("/admin/analytics")
    assert page.status_code == 401 and 'name="token"' in page.text
    wrong = await http.post("/admin/login", content="token=nope")
    assert wrong.status_code == 401 and "not right" in wrong.text

    signed_in = await http.post(
        "/admin/login",
        content=f"token={ADMIN_TOKEN}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert signed_in.status_code == 303
    cookie = signed_in.cookies["switchboard_admin"]
    assert ADMIN_TOKEN not in cookie
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    page = await http.get("/admin/analytics", cookies={"switchboard_admin": cookie})
    assert page.status_code == 200 and "<svg" in page.text and "cdn" not in page.text.lower()

    link = await http.get("/admin/analytics", params={"token": ADMIN_TOKEN, "days": 7})
    assert link.status_code == 303 and "token" not in link.headers["location"]
    bad_days = await http.get("/admin/analytics", params={"days": 0})
    assert bad_days.status_code == 422


async def test_off_without_admin_token(sqlite_databases: DatabaseFactory) -> None:
    from tests.support.server import run_server

    settings = make_settings(sqlite_databases.fresh(), SWITCHBOARD_ADMIN_TOKEN=None)
    async with run_server(settings) as live, httpx.AsyncClient(base_url=live.url) as client:
        assert (await client.get("/admin/analytics")).status_code == 404
        assert (await client.get("/api/admin/export/conversations")).status_code == 404
