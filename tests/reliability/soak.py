"""Soak run (`make soak`): a real server under steady traffic for minutes, killed with
SIGKILL at random moments and restarted, then every invariant checked.

    python -m tests.reliability.soak --minutes 10 --conversations 40 --kills 3

Prints the figures the README quotes: turns, throughput, latency percentiles, errors,
restarts, and whether every message was processed and answered exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from storage.db import create_engine, session_factory, transaction
from storage.demo import load_demo
from storage.migrate import upgrade
from tests.conftest import open_webchat
from tests.reliability.test_crash import TEXTS, _assert_exactly_once, _env
from tests.support.processes import ServeProcess
from tests.support.rows import all_messages, all_traces


async def _prepare(url: str) -> None:
    upgrade(url)
    engine = create_engine(url)
    async with transaction(session_factory(engine)) as session:
        await load_demo(session)
    await engine.dispose()


async def soak(minutes: float, conversations: int, kills: int, database_url: str | None) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="soak-"))
    url = database_url or f"sqlite:///{workdir / 'soak.db'}"
    await _prepare(url)
    server = ServeProcess(_env(url), workdir / "serve.log").start()
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.monotonic() + minutes * 60
    kill_at = sorted(time.monotonic() + random.uniform(10, minutes * 60 - 10) for _ in range(kills))
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        visitors = [
            await open_webchat(http, "cus_maria" if i % 3 == 0 else None)
            for i in range(conversations)
        ]
    pending: dict[int, list[tuple[str, str]]] = {i: [] for i in range(conversations)}

    async def talk(index: int) -> None:
        nonlocal errors, sent
        visitor = visitors[index]
        number = 0
        while time.monotonic() < deadline:
            message = (f"{visitor.session_id}:{number}", TEXTS[number % len(TEXTS)])
            number += 1
            pending[index].append(message)
            for client_id, text in list(pending[index]):
                started = time.monotonic()
                try:
                    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                        response = await http.post(
                            "/api/webchat/messages",
                            headers=visitor.auth,
                            json={"text": text, "client_message_id": client_id},
                        )
                    if response.status_code == 200:
                        latencies.append(time.monotonic() - started)
                        pending[index].remove((client_id, text))
                        sent += 1
                    else:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                    await asyncio.sleep(0.5)  # the server is restarting
                    break
            await asyncio.sleep(random.uniform(0.2, 1.0))

    async def chaos() -> None:
        for moment in kill_at:
            await asyncio.sleep(max(0.0, moment - time.monotonic()))
            server.kill()
            server.start()

    await asyncio.gather(chaos(), *(talk(i) for i in range(conversations)))
    # Drain: clients retry what never got an answer.
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for index, messages in pending.items():
            for client_id, text in messages:
                await http.post(
                    "/api/webchat/messages",
                    headers=visitors[index].auth,
                    json={"text": text, "client_message_id": client_id},
                )
    await asyncio.sleep(2)
    server.kill()
    rows = await all_messages(url)
    ok = True
    try:
        _assert_exactly_once(rows, await all_traces(url))
    except AssertionError as exc:
        ok = False
        print(f"INVARIANT BROKEN: {exc}")
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [0.0] * 99
    inbound = sum(1 for m in rows if m.direction == "inbound")
    print(
        f"soak: {minutes} min, {conversations} conversations, {kills} SIGKILL restarts\n"
        f"  turns answered: {inbound} ({inbound / (minutes * 60):.1f}/s), client retries: {errors}\n"
        f"  latency p50 {quantiles[49] * 1000:.0f} ms, p95 {quantiles[94] * 1000:.0f} ms, "
        f"p99 {quantiles[98] * 1000:.0f} ms\n"
        f"  exactly once, nothing stuck: {'yes' if ok else 'NO'}"
    )
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--conversations", type=int, default=40)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    raise SystemExit(
        asyncio.run(soak(args.minutes, args.conversations, args.kills, args.database_url))
    )


if __name__ == "__main__":
    main()
