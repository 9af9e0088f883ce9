"""A scripted OpenAI-compatible chat server on 127.0.0.1 for the real langchain-openai client.

Queue what the model should do next (say something, call tools, fail, hang, send broken
JSON); every request is recorded. Usage is reported like a real server: prompt tokens
grow with what was sent, so token budgets and flatness can be measured.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.server import free_port


@dataclass
class Say:
    text: str


@dataclass
class Call:
    name: str
    arguments: dict[str, Any] | str
    """A dict is sent as JSON; a str is sent as is (to send malformed JSON)."""


@dataclass
class Calls:
    calls: list[Call]


@dataclass
class Fail:
    status: int
    retry_after: float | None = None


@dataclass
class Hang:
    seconds: float


Step = Say | Call | Calls | Fail | Hang


def prompt_tokens(body: dict[str, Any]) -> int:
    """About four characters a token, like English text through a BPE tokenizer."""
    return max(
        1,
        len(json.dumps(body.get("messages", []))) // 4
        + len(json.dumps(body.get("tools", []))) // 8,
    )


@dataclass
class FakeOpenAI:
    url: str = ""
    script: list[Step] = field(default_factory=list)
    responder: Callable[[dict[str, Any]], Step] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    usages: list[dict[str, int]] = field(default_factory=list)
    rejects: set[str] = field(default_factory=set)
    """Request features this server refuses with a 400, as real servers do:
    `named_tool_choice` (llama-server: tool_choice must be a string), `tools`,
    `response_format`."""

    def _refusal(self, body: dict[str, Any]) -> str | None:
        if "named_tool_choice" in self.rejects and isinstance(body.get("tool_choice"), dict):
            return (
                "Wrong type supplied for parameter 'tool_choice'. Expected 'string', got 'object'"
            )
        if "tools" in self.rejects and "tools" in body:
            return "tools are not supported by this server"
        if "response_format" in self.rejects and "response_format" in body:
            return "response_format is not supported by this server"
        return None

    def queue(self, *steps: Step) -> None:
        self.script.extend(steps)

    def _next(self, body: dict[str, Any]) -> Step:
        if self.script:
            return self.script.pop(0)
        if self.responder is not None:
            return self.responder(body)
        return Say("(the fake model has nothing scripted)")

    async def handle(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        refusal = self._refusal(body)
        if refusal is not None:
            return JSONResponse(
                {"error": {"code": 400, "message": refusal, "type": "invalid_request_error"}},
                status_code=400,
            )
        step = self._next(body)
        if isinstance(step, Hang):
            await asyncio.sleep(step.seconds)
            step = Say("too late")
        if isinstance(step, Fail):
            headers = {"retry-after": str(step.retry_after)} if step.retry_after is not None else {}
            return JSONResponse(
                {"error": {"message": f"fake failure {step.status}", "type": "server_error"}},
                status_code=step.status,
                headers=headers,
            )
        message: dict[str, Any] = {"role": "assistant", "content": None}
        calls = [step] if isinstance(step, Call) else step.calls if isinstance(step, Calls) else []
        if isinstance(step, Say):
            message["content"] = step.text
        if calls:
            message["tool_calls"] = [
                {
                    "id": f"call_{uuid.uuid4().hex[:8]}",
                    "type": "function",
                    "function": {
                        "name": c.name,
                        "arguments": c.arguments
                        if isinstance(c.arguments, str)
                        else json.dumps(c.arguments),
                    },
                }
                for c in calls
            ]
        prompt = prompt_tokens(body)
        completion = max(1, len(json.dumps(message)) // 4)
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        self.usages.append(usage)
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:10]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if calls else "stop",
                    }
                ],
                "usage": usage,
            }
        )


@asynccontextmanager
async def serve_chat_completions(
    handle: Callable[[Request], Awaitable[Response]],
) -> AsyncIterator[str]:
    """`POST /v1/chat/completions` answered by `handle`, under uvicorn on a free port;
    yields the base URL (`http://127.0.0.1:<port>/v1`)."""
    app = Starlette(routes=[Route("/v1/chat/completions", handle, methods=["POST"])])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def run_fake_openai() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    async with serve_chat_completions(fake.handle) as url:
        fake.url = url
        yield fake
