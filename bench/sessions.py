"""Database sessions and transactions per turn, counted in-process.

`python -m bench.sessions [DATABASE_URL] [--turns N]`: the bench's message mix
(bench/load.py, seeded) through the engine on a fresh demo database (SQLite unless a
PostgreSQL URL is given), no model. Counts, per customer turn, the connections the
turn's sessions checked out of SQLAlchemy's pool, the transactions they committed and
the statements they ran (BEGIN left out, SAVEPOINT counted), and the process's CPU time
a turn, after a warm-up turn. One sender a conversation of ten turns: one sender for
all went over the per-sender burst (60 messages) and the rest were throttled, never
run. LangGraph's own savers (before session 37) used a connection of their own, outside
these counts: a checkpoint read and a write transaction a turn, and a prune beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.load import load_mix
from bots.base import InboundMessage
from storage.demo import load_demo
from storage.migrate import upgrade


async def count(database_url: str, turns: int) -> dict[str, float]:
    from storage.db import create_engine, session_factory
    from switchboard.settings import load_settings

    upgrade(database_url)
    db = create_engine(database_url)
    async with session_factory(db)() as session, session.begin():
        await load_demo(session)
    await db.dispose()
    settings = load_settings(SWITCHBOARD_DATABASE_URL=database_url)
    mix = load_mix()
    rng = random.Random(7)
    counts = {"checkouts": 0, "commits": 0, "statements": 0}

    def checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    def commit(*_: Any) -> None:
        counts["commits"] += 1

    def statement(*_: Any) -> None:
        counts["statements"] += 1

    async with _running(settings) as runtime:
        engine = runtime.db.sync_engine
        await _say(runtime, "hello", 0)  # warm-up: the conversation exists
        event.listen(engine.pool, "checkout", checkout)
        event.listen(engine, "commit", commit)
        event.listen(engine, "before_cursor_execute", statement)
        texts = [mix.draw(rng) for _ in range(turns)]
        started = time.process_time()
        for n, text in enumerate(texts, start=1):
            await _say(runtime, text, n)
        await runtime.engine.settle()
        cpu_ms = (time.process_time() - started) * 1000
    return {name: round(value / turns, 2) for name, value in {**counts, "cpu_ms": cpu_ms}.items()}


def _running(settings: Any) -> Any:
    try:  # session 37 on: channels are started through the channel table
        from switchboard.channels.table import build_channels, run_channels

        return run_channels(settings, build_channels(settings))
    except ImportError:
        from switchboard.runtime import open_runtime

        return open_runtime(settings)


async def _say(runtime: Any, text: str, n: int) -> None:
    message = InboundMessage(
        channel="webchat",
        channel_user_id=f"bench_{n // 10}",  # one sender a conversation: under the burst
        channel_chat_id=f"ws_bench_{n // 10}",  # conversations of ten turns
        channel_message_id=f"m{n}",
        text=text,
        verified_user_id="cus_maria",
    )
    await runtime.engine.handle(message, timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database_url", nargs="?")
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'sessions.db'}"
    print(asyncio.run(count(url, args.turns)))


if __name__ == "__main__":
    main()
