"""Exactly once in the company's system: `serve` killed (SIGKILL) after Fibrelink's
account system made an approved plan change but before Switchboard recorded it. After the
restart the change is carried out again under the same Idempotency-Key, so the account
system makes it once, and the customer is told once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from tests.conftest import ADMIN_TOKEN, IDENTITY_SECRET, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.fibrelink import account_system
from tests.support.local_site import serve_locally
from tests.support.processes import ServeProcess, clean_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "broadband"


async def _wait(predicate: Any, timeout: float = 30.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while not (found := await predicate()):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)
    return found


async def test_an_approved_change_is_made_once_across_a_sigkill(
    sqlite_databases: DatabaseFactory, tmp_path: Path
) -> None:
    system = account_system("crash-token")
    requests: list[str | None] = []
    made = asyncio.Event()
    released = asyncio.Event()  # set at the end: the held answer must not delay cleanup

    @web.middleware
    async def first_answer_lost(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if request.method == "POST":
            requests.append(request.headers.get("Idempotency-Key"))
            if len(requests) == 1:  # made, and the answer never arrives: serve dies first
                made.set()
                await released.wait()
        return response

    app = system.app()
    app.middlewares.append(first_answer_lost)
    runner, base = await serve_locally(app)

    url = sqlite_databases.fresh()
    env = clean_env(
        SWITCHBOARD_DATABASE_URL=url,
        SWITCHBOARD_POLICY=str(EXAMPLE / "policy.yaml"),
        SWITCHBOARD_ADMIN_TOKEN=ADMIN_TOKEN,
        SWITCHBOARD_WEBCHAT_IDENTITY_SECRET=IDENTITY_SECRET,
        FIBRELINK_API_URL=base,
        FIBRELINK_API_TOKEN="crash-token",
    )
    loaded = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "switchboard.cli.main", "demo", "load"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert loaded.returncode == 0, loaded.stderr
    # Started off the event loop: the account system answers from this loop meanwhile.
    server = await asyncio.to_thread(ServeProcess(env, tmp_path / "serve.log").start)
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            ana = await open_webchat(http, "cus_ana")
            await ana.say("hi, I'd like to switch to a cheaper package")
            asked = await ana.say("fast")
            assert "from Ultra to Fast" in str(asked), asked

            async def pending() -> Any:
                listed = (await http.get("/api/admin/approvals", headers=admin)).json()
                return listed["approvals"]

            [approval] = await _wait(pending)
            deciding = asyncio.create_task(
                http.post(
                    f"/api/admin/approvals/{approval['id']}",
                    json={"decision": "approve", "decided_by": "ops@fibrelink"},
                    headers=admin,
                )
            )
            await asyncio.wait_for(made.wait(), 30)
            server.kill()
            await asyncio.gather(deciding, return_exceptions=True)

        await asyncio.to_thread(server.start)  # the decided approval is carried out at start
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            ana.http = http

            async def told() -> Any:
                texts = [m["text"] for m in (await ana.history())["messages"]]
                return [t for t in texts if t.startswith("Done: you move to Fast")]

            done = await _wait(told)
    finally:
        server.kill()
        released.set()
        await runner.cleanup()

    assert len(requests) == 2 and requests[0] == requests[1] and requests[0]
    assert [c["plan"] for c in system.changes] == ["Fast"]  # one change, not two
    assert len(done) == 1
