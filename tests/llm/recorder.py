"""A pass-through between Switchboard and the model server that writes every exchange
(request body, status, response body, seconds) as one JSON line: what was sent and what
came back is the first thing to read when a server and the client disagree."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.llm.local_model import free_port


def _app(upstream: str, log: Path) -> Starlette:
    client = httpx.AsyncClient(base_url=upstream, timeout=None)
    lock = threading.Lock()

    async def forward(request: Request) -> Response:
        body = await request.body()
        started = time.perf_counter()
        answer = await client.request(
            request.method,
            "/" + request.path_params["path"],
            content=body,
            headers={"content-type": request.headers.get("content-type", "application/json")},
        )
        entry = {
            "path": request.url.path,
            "seconds": round(time.perf_counter() - started, 2),
            "status": answer.status_code,
            "request": _json(body),
            "response": _json(answer.content),
        }
        with lock, log.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


@contextmanager
def recording(upstream: str, log: Path) -> Iterator[str]:
    """The recorder's base URL (same path as `upstream`'s) while the block runs."""
    root, _, base_path = upstream.partition("://")[2].partition("/")
    scheme = upstream.partition("://")[0]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            _app(f"{scheme}://{root}", log),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}/{base_path}".rstrip("/")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
