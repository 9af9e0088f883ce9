"""The turn machinery in a sandbox, for replay and shadow alike: the policy's own models,
the real `TurnRunner` on in-memory checkpoints, sessions inside a rolled-back
transaction, and connector tools stood in for (writes only recorded)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from graph.policy import Policy
from graph.runner import TurnRunner
from switchboard.desk.handoffs import staff_reachable
from switchboard.engine.classifier_cache import acts_for, load_classifier, warm_up
from switchboard.replay.connectors import CallLog, sandboxed
from switchboard.replay.sandbox import Sandbox, rolled_back
from switchboard.settings import Settings
from tools.connectors import open_connectors


@dataclass
class SandboxedRunner:
    runner: TurnRunner
    saver: InMemorySaver
    sandbox: Sandbox
    calls: CallLog
    """What the connector stand-ins were asked (writes never made)."""


@asynccontextmanager
async def sandboxed_runner(
    settings: Settings,
    db: AsyncEngine,
    reading: async_sessionmaker[AsyncSession],
    policy: Policy,
    *,
    live_reads: bool = False,
    **model: Any,
) -> AsyncIterator[SandboxedRunner]:
    """`policy`'s runner in a sandbox on `db` (`reading`: where the staff corrections the
    intent model folds in are read; `model`: `chat_model` and its budget, else none)."""
    classifier = await load_classifier(policy, settings.cache_dir, reading)
    acts = await asyncio.to_thread(acts_for, policy, settings.cache_dir)
    await asyncio.to_thread(warm_up, classifier, policy.languages)
    calls = CallLog()
    async with (
        open_connectors(policy.connectors, policy.providers, policy.directory) as connected,
        rolled_back(db) as sandbox,
    ):
        saver = InMemorySaver()
        runner = TurnRunner(
            saver=saver,
            policy=policy,
            classifier=classifier,
            acts=acts,
            sessions=sandbox.sessions,
            max_chars=settings.max_message_chars,
            staff_reachable=staff_reachable(settings, sandbox.sessions),
            public_url=settings.public_url,
            catalog=sandboxed(connected.catalog, calls, live_reads=live_reads),
            **model,
        )
        yield SandboxedRunner(runner, saver, sandbox, calls)
