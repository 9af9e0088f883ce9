"""Load generator: N concurrent web chat conversations × T turns over real HTTP.

The messages are the customers' lines from the shipped `scenarios/*.yaml` (what the
scenario tests say the bot must handle), drawn about 70% from known processes (billing,
orders, refunds, help-centre questions) and 30% from the rest (greetings, thanks,
unclear or off-topic lines, answers and corrections). Lines that hand the conversation
to a person are left out: after a handoff there are no bot turns to measure, which
would flatter the system that hands over. Each conversation is one signed-in demo
customer (or an anonymous visitor), created before the clock starts.

Bounded in count (N × T turns) and in time (no new turn starts after the deadline).
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bots.webchat.identity import sign_user_id

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
KNOWN_INTENTS = {"billing_issue", "order_status", "refund_request", "faq"}
KNOWN_FILES = {"billing.yaml", "orders.yaml", "refunds.yaml", "faq.yaml"}
CUSTOMERS = ["cus_maria", "cus_sam", "cus_lee", None]
# Lines in multi-turn scenarios often carry no expected intent: these words mark a
# request for one of the known processes.
PROCESS_WORDS = re.compile(r"order|refund|charg|payment|money|package|shipp|track", re.I)


@dataclass(frozen=True)
class MessageMix:
    known: list[str]
    other: list[str]
    known_share: float = 0.7

    def draw(self, rng: random.Random) -> str:
        pool = self.known if rng.random() < self.known_share else self.other
        return rng.choice(pool)


def _hands_over(turn: dict[str, Any]) -> bool:
    expect = turn.get("expect") or {}
    return (
        expect.get("mode") == "human"
        or str(expect.get("route", "")).startswith("human")
        or expect.get("intent") == "handoff"
        or "rejected" in expect
    )


def load_mix(directory: Path = SCENARIOS, known_share: float = 0.7) -> MessageMix:
    """Known-process and other lines from every scenario file, without handoffs."""
    known: set[str] = set()
    other: set[str] = set()
    for path in sorted(directory.rglob("*.yaml")):
        if path.name in ("handoff.yaml", "bad_inputs.yaml"):
            continue
        data = yaml.safe_load(path.read_text()) or {}
        for scenario in data.get("scenarios", []):
            for turn in scenario.get("turns", []):
                text = turn.get("say")
                if not isinstance(text, str) or not text.strip() or _hands_over(turn):
                    continue
                intent = (turn.get("expect") or {}).get("intent")
                is_known = intent in KNOWN_INTENTS or (
                    intent is None
                    and (path.name in KNOWN_FILES or bool(PROCESS_WORDS.search(text)))
                )
                (known if is_known else other).add(text.strip())
    return MessageMix(sorted(known), sorted(other), known_share)


@dataclass
class LoadResult:
    concurrency: int
    turns_per_conversation: int
    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    routes: Counter[str] = field(default_factory=Counter)
    modes: Counter[str] = field(default_factory=Counter)
    duration_s: float = 0.0

    @property
    def turns(self) -> int:
        return len(self.latencies_s)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_s)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "turns_per_conversation": self.turns_per_conversation,
            "turns": self.turns,
            "errors": self.errors,
            "error_samples": self.error_samples[:3],
            "duration_s": round(self.duration_s, 3),
            "turns_per_s": round(self.turns / self.duration_s, 2) if self.duration_s else 0,
            "p50_ms": round(self.percentile(50) * 1000, 1),
            "p95_ms": round(self.percentile(95) * 1000, 1),
            "p99_ms": round(self.percentile(99) * 1000, 1),
            "routes": dict(self.routes.most_common()),
            "modes": dict(self.modes),
            # 101 quantiles: enough for the latency CDF plot without every sample.
            "latency_quantiles_ms": [round(self.percentile(q) * 1000, 2) for q in range(101)],
        }


async def open_session(http: httpx.AsyncClient, user_id: str | None) -> str:
    body: dict[str, Any] = {}
    if user_id:
        from bench.systems import IDENTITY_SECRET

        body = {"user_id": user_id, "user_hash": sign_user_id(user_id, IDENTITY_SECRET)}
    response = await http.post("/api/webchat/sessions", json=body)
    response.raise_for_status()
    return str(response.json()["token"])


async def say(http: httpx.AsyncClient, token: str, text: str) -> dict[str, Any]:
    response = await http.post(
        "/api/webchat/messages",
        json={"text": text, "client_message_id": uuid.uuid4().hex},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return dict(response.json())


async def run_load(
    url: str,
    mix: MessageMix,
    *,
    concurrency: int,
    turns: int,
    time_limit_s: float = 180.0,
    seed: int = 12,
) -> LoadResult:
    """Drive `concurrency` conversations of `turns` turns each; every conversation waits
    for its reply before saying the next thing, like a person in a chat window."""
    result = LoadResult(concurrency, turns)
    rng = random.Random(seed)
    scripts = [[mix.draw(rng) for _ in range(turns)] for _ in range(concurrency)]
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        tokens = await asyncio.gather(
            *(open_session(http, CUSTOMERS[i % len(CUSTOMERS)]) for i in range(concurrency))
        )
        started = time.perf_counter()
        deadline = started + time_limit_s

        async def conversation(token: str, script: list[str]) -> None:
            for text in script:
                if time.perf_counter() > deadline:
                    return
                sent = time.perf_counter()
                try:
                    turn = await say(http, token, text)
                except httpx.HTTPError as exc:
                    result.errors += 1
                    detail = getattr(getattr(exc, "response", None), "text", "")
                    result.error_samples.append(f"{type(exc).__name__}: {exc} {detail}"[:300])
                    continue
                result.latencies_s.append(time.perf_counter() - sent)
                route = str(turn.get("route") or "none")
                result.routes[route.split(":")[0] if route.startswith("guard") else route] += 1
                result.modes[str(turn.get("mode"))] += 1

        await asyncio.gather(*(conversation(t, s) for t, s in zip(tokens, scripts, strict=True)))
        result.duration_s = time.perf_counter() - started
    return result
