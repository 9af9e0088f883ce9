"""Slow turns (a slow local model) are waited for honestly and never answered empty:
the real engine, a real database and a slow OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bots.base import InboundMessage
from storage import traces
from storage.models import InboundStatus, Message
from switchboard.engine.core import FALLBACK_REPLY
from switchboard.runtime import (
    MAX_TURN_WAIT_S,
    TURN_WAIT_WITHOUT_MODEL_S,
    Runtime,
    open_runtime,
    turn_wait_s,
)
from tests.conftest import make_settings
from tests.graph.test_agent import OTHER, UNSURE, small_talk, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import Hang
from tests.support.slow_openai import SlowOpenAI, run_slow_openai
from tests.switchboard.test_cli import _env as cli_env

REPLY = "Good morning! I can help with payments and orders."


@pytest.fixture
async def model() -> AsyncIterator[SlowOpenAI]:
    async with run_slow_openai() as slow:
        yield slow


@asynccontextmanager
async def engine_with(
    databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path, **env: Any
) -> AsyncIterator[Runtime]:
    settings = make_settings(
        databases.fresh(),
        SWITCHBOARD_LLM_MODEL="fake-model",
        SWITCHBOARD_LLM_BASE_URL=model.url,
        OPENAI_API_KEY="sk-test",
        SWITCHBOARD_POLICY=str(write_policy(tmp_path)),  # every message asks the model
        **env,
    )
    async with open_runtime(settings) as runtime:
        yield runtime


def message(text: str) -> InboundMessage:
    chat = f"chat-{uuid.uuid4().hex[:8]}"
    return InboundMessage(
        channel="webchat",
        channel_user_id=chat,
        channel_chat_id=chat,
        channel_message_id=f"{chat}:1",
        text=text,
        verified_user_id="cus_maria",
    )


async def stored(runtime: Runtime, inbound: InboundMessage) -> Message:
    async with runtime.sessions() as session:
        rows = await session.exec(
            select(Message).where(Message.channel_message_id == inbound.channel_message_id)
        )
        return rows.one()


async def until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_the_wait_follows_the_model_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert turn_wait_s(make_settings(url)) == TURN_WAIT_WITHOUT_MODEL_S
    with_model = make_settings(url, SWITCHBOARD_LLM_MODEL="m", SWITCHBOARD_LLM_TIMEOUT_S=20)
    # Two calls (classification, answer), each with one retry, plus a margin.
    assert turn_wait_s(with_model) == 85.0
    slow = make_settings(url, SWITCHBOARD_LLM_MODEL="m", SWITCHBOARD_LLM_TIMEOUT_S=300)
    assert turn_wait_s(slow) == MAX_TURN_WAIT_S
    assert turn_wait_s(make_settings(url, SWITCHBOARD_TURN_WAIT_S=0.5)) == 0.5


async def test_a_wake_before_the_turn_ran_does_not_end_the_wait(
    sqlite_databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path
) -> None:
    """A drain that found its conversation empty wakes every waiter of it, also one whose
    message was stored after it looked; that waiter used to return at once, empty."""
    model.fake.queue(small_talk(REPLY))
    model.delay_s = 1.0
    async with engine_with(sqlite_databases, model, tmp_path) as runtime:
        inbound = message("Good morning")
        handling = asyncio.create_task(runtime.engine.handle(inbound, timeout=30))
        await until(lambda: model.started)  # stored, waited for, its turn at the model
        row = await stored(runtime, inbound)

        runtime.engine.waiters.wake_conversation(row.conversation_id)  # what the stray drain does
        await asyncio.sleep(0.3)
        assert not handling.done(), "the wait ended before the turn did"

        result = await handling
    assert not result.pending
    assert [r.text for r in result.replies] == [REPLY]


async def test_the_sweeper_does_not_pile_drains_behind_a_slow_turn(
    sqlite_databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path
) -> None:
    model.fake.queue(small_talk(REPLY))
    model.delay_s = 5.0  # longer than two sweeps (every 2 s, for messages 2 s old)
    async with engine_with(sqlite_databases, model, tmp_path) as runtime:
        handling = asyncio.create_task(runtime.engine.handle(message("Good morning")))
        await until(lambda: model.started)
        most = 0
        while not handling.done():
            most = max(most, len(runtime.engine.background.tasks))
            await asyncio.sleep(0.05)
        result = handling.result()
    assert most == 1, "sweeps kicked drains for a conversation whose drain was running"
    assert [r.text for r in result.replies] == [REPLY]


async def test_a_turn_outlasting_the_wait_is_pending_then_delivered(
    sqlite_databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path
) -> None:
    model.fake.queue(small_talk(REPLY))
    model.delay_s = 1.5
    async with engine_with(sqlite_databases, model, tmp_path) as runtime:
        first = await runtime.engine.handle(message("Good morning"), timeout=0.3)
        assert first.pending and first.replies == ()
        later = await runtime.engine.wait_for_turn(first, timeout=30)
    assert not later.pending
    assert [r.text for r in later.replies] == [REPLY]


async def test_a_hanging_model_call_is_cut_at_the_model_timeout(
    sqlite_databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path
) -> None:
    """The agent's call hangs far longer than the model timeout: the call is abandoned
    (the server sees the client hang up, the call and its retry), and the customer gets
    the agent's honest fallback at once instead of waiting for the hang."""
    model.fake.queue(OTHER, Hang(60), Hang(60))  # the call and its one retry
    async with engine_with(
        sqlite_databases, model, tmp_path, SWITCHBOARD_LLM_TIMEOUT_S=0.5
    ) as runtime:
        started = time.monotonic()
        result = await runtime.engine.handle(message(UNSURE), timeout=30)
        took = time.monotonic() - started
        await until(lambda: model.hung_up == 2, timeout=2)
        async with runtime.sessions() as session:
            trace = await traces.trace_for_message(session, result.message_id)
    assert took < 6, f"the turn waited {took:.1f} s for a hanging model"
    assert not result.pending
    # The agent's fallback (a handoff), not the engine's "something went wrong".
    assert result.replies and result.replies[0].text != FALLBACK_REPLY
    assert trace is not None and trace.route != "error"
    assert [bool(call["error"]) for call in trace.llm] == [False, True]
    assert model.answered == 1  # only the classification


async def test_stop_cancels_a_turn_stuck_in_a_model_call(
    sqlite_databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path
) -> None:
    """On shutdown a running turn is cancelled (its model connection closed) rather than
    left running; it committed nothing, so the next start runs it again."""
    model.fake.queue(Hang(60))
    async with engine_with(
        sqlite_databases, model, tmp_path, SWITCHBOARD_LLM_TIMEOUT_S=60
    ) as runtime:
        inbound = message("Good morning")
        submitted = await runtime.engine.submit(inbound)
        await until(lambda: model.started)
        started = time.monotonic()
        await runtime.engine.stop(timeout=0.2)
        assert time.monotonic() - started < 3
        await until(lambda: model.hung_up == 1, timeout=2)
        row = await stored(runtime, inbound)
    assert row.id == submitted.message_id
    assert row.status == InboundStatus.received


async def test_chat_in_the_terminal_waits_for_a_slow_reply(
    sqlite_databases: DatabaseFactory, model: SlowOpenAI, tmp_path: Path
) -> None:
    """`switchboard chat` used to print nothing for a turn slower than its wait."""
    model.fake.queue(small_talk(REPLY))
    model.delay_s = 2.0
    env = cli_env(sqlite_databases.fresh())
    env.update(
        SWITCHBOARD_LLM_MODEL="fake-model",
        SWITCHBOARD_LLM_BASE_URL=model.url,
        OPENAI_API_KEY="sk-test",
        SWITCHBOARD_POLICY=str(write_policy(tmp_path)),
        SWITCHBOARD_TURN_WAIT_S="0.5",
    )
    chat = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "switchboard.cli.main",
        "chat",
        "--as",
        "cus_maria",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(chat.communicate(b"Good morning\n"), timeout=120)
    said = out.decode()
    assert chat.returncode == 0, err.decode()
    assert "still working" in said
    assert said.index("still working") < said.index(f"bot> {REPLY}")
