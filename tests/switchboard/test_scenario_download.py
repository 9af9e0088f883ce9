"""The admin console offers a conversation as a test scenario: `GET
/api/admin/conversations/{id}/scenario`, a YAML download behind the admin sign-in, linked
from the conversation's page."""

from __future__ import annotations

from pathlib import Path

import httpx

from switchboard.scenarios.loader import load_file
from tests.conftest import ADMIN_TOKEN, make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.server import LiveServer, run_server

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def _conversation(http: httpx.AsyncClient) -> int:
    maria = await open_webchat(http, "cus_maria")
    said = await maria.say("where is my order?")
    return int(said["conversation_id"])


async def test_the_download_needs_the_admin_sign_in(
    server: LiveServer, http: httpx.AsyncClient, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    conversation_id = await _conversation(http)
    url = f"/api/admin/conversations/{conversation_id}/scenario"

    assert (await http.get(url)).status_code == 401
    wrong = await http.get(url, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and "admin token" in wrong.json()["error"]

    response = await http.get(url, headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="conversation-{conversation_id}.yaml"'
    )
    path = tmp_path / "downloaded.yaml"
    path.write_bytes(response.content)
    [loaded] = load_file(path)  # what `switchboard eval` reads
    [turn] = loaded.scenario.turns
    assert loaded.scenario.customer == "cus_maria"
    assert (turn.say, turn.expect.route) == ("where is my order?", "workflow:order_status")

    # Any staff member may, as they may read the transcript: no role beyond signing in.
    password = await server.add_staff("anna@example.com", "Anna", "agent")
    signed = await http.post(
        "/admin/login",
        content=f"email=anna@example.com&password={password}&next=/admin",
        headers=FORM,
    )
    anna = {"switchboard_staff": signed.cookies["switchboard_staff"]}
    http.cookies.clear()
    as_agent = await http.get(url, cookies=anna)
    assert as_agent.status_code == 200 and as_agent.text == response.text

    missing = await http.get("/api/admin/conversations/987654/scenario", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == "conversation 987654 not found"


async def test_the_conversation_page_links_the_download(http: httpx.AsyncClient) -> None:
    conversation_id = await _conversation(http)
    # Opened as the console is: once with the token, then by its cookie.
    page = await http.get(
        f"/admin/conversations/{conversation_id}",
        params={"token": ADMIN_TOKEN},
        follow_redirects=True,
    )
    assert page.status_code == 200
    link = f'<a href="/api/admin/conversations/{conversation_id}/scenario" download>'
    assert link in page.text
    followed = await http.get(f"/api/admin/conversations/{conversation_id}/scenario")
    assert followed.status_code == 200 and "say: where is my order?" in followed.text


async def test_no_admin_side_no_download(sqlite_databases: DatabaseFactory) -> None:
    settings = make_settings(sqlite_databases.fresh(), SWITCHBOARD_ADMIN_TOKEN=None)
    async with run_server(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        conversation_id = await _conversation(http)
        response = await http.get(f"/api/admin/conversations/{conversation_id}/scenario")
    assert response.status_code == 404 and "admin API is off" in response.json()["error"]
