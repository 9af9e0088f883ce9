"""A scripted OpenAI-compatible chat server for the benchmark, run as its own process.

Both systems under test talk to it, so the model costs the same for both: a fixed
latency per call (0 ms measures the systems' own overhead, 300 ms is a realistic hosted
model) and answers shaped like a real model's. It behaves like a tool-using model:

- a structured classification request (a forced `MessageAnalysis` function) gets an
  intent guessed from keywords, and for a line with no intent, no number and no money or
  order word (small talk, off-topic) the short reply the schema asks for;
- a customer message with tools on offer gets one tool call (an order number →
  the order tool, charges/payments → the duplicate-charge tool, anything else → the
  knowledge-base search);
- after a tool result, a short final answer with no amounts or internal ids (so our
  guardrails pass it).

Usage is reported like a real server: prompt tokens are about a quarter of the
characters sent, so a growing history shows up as growing prompts. `GET /stats` returns
every call since the last `POST /reset` (model, purpose, prompt and completion tokens);
the model name tells the two systems apart.

    python -m bench.fake_llm --port 8100 --latency-ms 300
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ORDER = re.compile(r"\b(\d{4})\b")
MONEY_WORDS = ("charge", "charged", "payment", "paid", "card", "billing", "refund", "money")
INTENT_WORDS = {
    "billing_issue": ("charged", "charge", "payment", "billing", "invoice"),
    "order_status": ("order", "shipped", "delivery", "package", "tracking", "arrive"),
    "refund_request": ("refund", "money back", "return"),
    "faq": ("how do", "how can", "where", "what is", "policy", "shipping"),
    "greeting": ("hello", "hi ", "hey", "thanks", "thank you"),
}
SMALL_TALK_REPLY = (
    "Happy to chat! I'm here for payments, orders, refunds and questions about our service. "
    "What can I do for you?"
)
FINAL_ANSWER = (
    "Thanks for waiting, I've checked that for you. Based on what I found, everything on "
    "your account looks in order and nothing else needs to be done right now. If anything "
    "still looks wrong, tell me a bit more and I'll take another look or bring in a person."
)


def prompt_tokens(body: dict[str, Any]) -> int:
    """About four characters a token, like English text through a BPE tokenizer."""
    return max(
        1,
        len(json.dumps(body.get("messages", []))) // 4
        + len(json.dumps(body.get("tools", []))) // 8,
    )


def _text(message: dict[str, Any]) -> str:
    content = message.get("content") or ""
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def _guess_intent(text: str) -> str:
    lowered = f" {text.lower()} "
    for intent, words in INTENT_WORDS.items():
        if any(word in lowered for word in words):
            return intent
    return "other"


def _is_small_talk(text: str) -> bool:
    """Nothing to look up: no number, no money word, no order word."""
    lowered = text.lower()
    return not (
        re.search(r"\d", text)
        or any(w in lowered for w in MONEY_WORDS)
        or any(w in lowered for w in INTENT_WORDS["order_status"])
    )


def _pick_tool(text: str, names: list[str]) -> tuple[str, dict[str, Any]] | None:
    """The tool a sensible model would reach for first, among those on offer."""

    def first(*needles: str) -> str | None:
        return next((n for n in names if any(x in n for x in needles)), None)

    lowered = text.lower()
    order = ORDER.search(text)
    if order and (name := first("order")):
        return name, {"number": order.group(1)}
    if any(w in lowered for w in MONEY_WORDS) and (name := first("duplicate", "charge")):
        return name, {}
    if name := first("kb", "search"):
        return name, {"query": text[:200]}
    return (names[0], {}) if names else None


@dataclass
class FakeLLM:
    latency_s: float = 0.0
    calls: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(purpose, assistant message) for one request."""
        messages = body.get("messages") or [{}]
        tools = [t["function"]["name"] for t in body.get("tools") or [] if "function" in t]
        last = messages[-1]
        users = [m for m in messages if m.get("role") == "user"]
        said = _text(users[-1]) if users else ""
        if "MessageAnalysis" in tools:
            intent = _guess_intent(said)
            arguments: dict[str, Any] = {
                "intent": intent,
                "flags": [],
                "urgency": "normal",
                "sentiment": "neutral",
            }
            if intent == "other" and _is_small_talk(said):
                arguments["reply"] = SMALL_TALK_REPLY
            return "classify", _tool_message("MessageAnalysis", arguments)
        if last.get("role") == "user" and tools:
            picked = _pick_tool(said, tools)
            if picked is not None:
                return "tool_call", _tool_message(*picked)
        return "answer", {"role": "assistant", "content": FINAL_ANSWER}

    async def completions(self, request: Request) -> JSONResponse:
        body = await request.json()
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        purpose, message = self.answer(body)
        prompt = prompt_tokens(body)
        completion = max(1, len(json.dumps(message)) // 4)
        self.calls.append(
            {
                "model": body.get("model", ""),
                "purpose": purpose,
                "prompt_tokens": prompt,
                "completion_tokens": completion,
            }
        )
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        )

    async def stats(self, request: Request) -> JSONResponse:
        return JSONResponse({"calls": self.calls})

    async def reset(self, request: Request) -> JSONResponse:
        body = await request.json() if await request.body() else {}
        if "latency_ms" in body:
            self.latency_s = float(body["latency_ms"]) / 1000
        self.calls = []
        return JSONResponse({"latency_ms": self.latency_s * 1000})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self.completions, methods=["POST"]),
                Route("/stats", self.stats, methods=["GET"]),
                Route("/reset", self.reset, methods=["POST"]),
            ]
        )


def _tool_message(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    fake = FakeLLM(latency_s=args.latency_ms / 1000)
    uvicorn.run(
        fake.app(),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
