"""Growth with conversation length: stored bytes per turn and prompt tokens per LLM call.

One signed-in customer talks for `max(lengths)` turns, one message at a time. At each
length L the figures are taken over the window of turns (L - 10, L]: the database size
delta over those turns (SQLite: file plus WAL after a checkpoint; PostgreSQL:
`pg_database_size`, so whole 8 KB pages) divided by the turns, and the prompt tokens of
the model calls made in them (from the fake model's log). A design whose state is the
whole transcript grows in both; a small checkpoint and a bounded prompt stay flat.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.load import MessageMix, open_session, say
from bench.systems import database_bytes

WINDOW = 10


@dataclass(frozen=True)
class GrowthPoint:
    length: int
    bytes_per_turn: float
    llm_calls_per_turn: float
    prompt_tokens_per_call: float | None
    turn_ms: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


async def measure_growth(
    url: str,
    llm_url: str,
    database_url: str,
    model: str,
    mix: MessageMix,
    lengths: list[int],
    *,
    seed: int = 7,
) -> list[GrowthPoint]:
    rng = random.Random(seed)
    total = max(lengths)
    starts = {max(0, length - WINDOW): length for length in lengths}
    points: list[GrowthPoint] = []
    window: dict[str, Any] = {}
    async with (
        httpx.AsyncClient(base_url=url, timeout=120) as http,
        httpx.AsyncClient(base_url=llm_url, timeout=30) as llm,
    ):
        token = await open_session(http, "cus_maria")

        async def calls() -> list[dict[str, Any]]:
            response = await llm.get("/stats")
            return [c for c in response.json()["calls"] if c["model"] == model]

        await llm.post("/reset", json={})
        elapsed = 0.0
        for turn in range(total):
            if turn in starts:
                window = {
                    "start": turn,
                    "bytes": database_bytes(database_url),
                    "calls": len(await calls()),
                    "elapsed": elapsed,
                }
            response_started = time.perf_counter()
            await say(http, token, mix.draw(rng))
            elapsed += time.perf_counter() - response_started
            done = turn + 1
            if done in lengths and window:
                turns = done - window["start"]
                made = (await calls())[window["calls"] :]
                prompts = [c["prompt_tokens"] for c in made]
                points.append(
                    GrowthPoint(
                        length=done,
                        bytes_per_turn=round(
                            (database_bytes(database_url) - window["bytes"]) / turns, 1
                        ),
                        llm_calls_per_turn=round(len(made) / turns, 3),
                        prompt_tokens_per_call=round(sum(prompts) / len(prompts), 1)
                        if prompts
                        else None,
                        turn_ms=round((elapsed - window["elapsed"]) / turns * 1000, 2),
                    )
                )
    return points
