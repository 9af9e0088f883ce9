"""Two real `switchboard serve` replicas on one PostgreSQL database."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import ADMIN_TOKEN, IDENTITY_SECRET, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServeProcess, clean_env, serving

pytestmark = pytest.mark.postgres


def _env(url: str) -> dict[str, str]:
    return clean_env(
        SWITCHBOARD_DATABASE_URL=url,
        SWITCHBOARD_ADMIN_TOKEN=ADMIN_TOKEN,
        SWITCHBOARD_WEBCHAT_IDENTITY_SECRET=IDENTITY_SECRET,
    )


async def _next_message(ws: websockets.ClientConnection, timeout: float = 15) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame.get("type") == "message":
            return dict(frame["message"])


async def test_two_replicas_share_conversations_in_order_and_live_push(
    postgres_databases: DatabaseFactory, tmp_path: Path
) -> None:
    env = _env(postgres_databases.fresh())
    with serving(env, tmp_path / "a.log") as a, serving(env, tmp_path / "b.log") as b:
        await _exercise(a, b)


async def _exercise(a: ServeProcess, b: ServeProcess) -> None:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=30) as on_a,
        httpx.AsyncClient(base_url=b.url, timeout=30) as on_b,
    ):
        maria = await open_webchat(on_a, "cus_maria")
        ws_url = a.url.replace("http", "ws") + f"/api/webchat/ws?token={maria.token}"
        async with websockets.connect(ws_url) as ws:
            # A reply produced on replica B reaches the socket open on replica A.
            via_b = await on_b.post(
                "/api/webchat/messages",
                json={"text": "where is my order?", "client_message_id": "b-1"},
                headers=maria.auth,
            )
            assert via_b.status_code == 200, via_b.text
            pushed = await _next_message(ws)
            assert pushed["text"] == via_b.json()["replies"][0]["text"]

        # A burst into one conversation through both replicas: each message once, in order.
        texts = [f"hello {i}" if i % 2 else "where is my order?" for i in range(12)]
        clients = [on_a, on_b]
        results = await asyncio.gather(
            *(
                clients[i % 2].post(
                    "/api/webchat/messages",
                    json={"text": t, "client_message_id": f"burst-{i}"},
                    headers=maria.auth,
                )
                for i, t in enumerate(texts)
            ),
            # the same message retried on the other replica at the same time
            *(
                clients[(i + 1) % 2].post(
                    "/api/webchat/messages",
                    json={"text": t, "client_message_id": f"burst-{i}"},
                    headers=maria.auth,
                )
                for i, t in enumerate(texts)
            ),
        )
        assert all(r.status_code == 200 for r in results), [r.text for r in results]
        conversation_id = results[0].json()["conversation_id"]
        detail = (
            await on_a.get(f"/api/admin/conversations/{conversation_id}", headers=admin)
        ).json()

    inbound = [m for m in detail["messages"] if m["direction"] == "inbound"]
    assert len(inbound) == len(texts) + 1
    assert all(m["status"] == "processed" for m in inbound)
    traces = detail["traces"]
    assert [t["message_id"] for t in traces] == [m["id"] for m in inbound]  # in order, once
    outbound = [m for m in detail["messages"] if m["direction"] == "outbound"]
    assert len(outbound) == len(inbound)  # one reply per distinct message
