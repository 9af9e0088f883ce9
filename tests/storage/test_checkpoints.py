"""Checkpoint tables stay the size of the live conversations, however long they run."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from graph.builder import build_graph
from storage.checkpoints import CheckpointPruner, open_checkpointer
from switchboard.settings import Settings
from tests.conftest import open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.rows import scalar
from tests.support.server import run_server

LINES = ["hi", "where is my order?", "what is your return policy", "thanks", "hello again"]


async def _rows(database_url: str, thread: str) -> tuple[int, int]:
    checkpoints = await scalar(
        database_url, f"SELECT COUNT(*) FROM checkpoints WHERE thread_id = '{thread}'"
    )
    table = "writes" if database_url.startswith("sqlite") else "checkpoint_writes"
    writes = await scalar(
        database_url, f"SELECT COUNT(*) FROM {table} WHERE thread_id = '{thread}'"
    )
    return checkpoints, writes


async def test_a_long_conversation_keeps_one_checkpoint(
    settings: Settings, database_url: str
) -> None:
    """Pruning runs beside the turns, so right after a reply the previous checkpoint may
    still be there; never more, and one once the pruner has caught up."""
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        maria = await open_webchat(http, "cus_maria")
        counts = []
        for turn in range(15):
            conversation_id = (await maria.say(LINES[turn % len(LINES)]))["conversation_id"]
            counts.append(await _rows(database_url, str(conversation_id)))
        await live.runtime.engine.runner.pruner.close()
        settled = await _rows(database_url, str(conversation_id))
    assert max(checkpoints for checkpoints, _ in counts) <= 2
    assert settled[0] == 1
    assert settled[1] <= max(writes for _, writes in counts[:5])


async def test_turns_that_end_during_a_prune_are_pruned_together_next(
    sqlite_databases: DatabaseFactory,
) -> None:
    url = sqlite_databases.fresh()
    async with open_checkpointer(url) as saver:
        graph = build_graph().compile(checkpointer=saver)
        pruner = CheckpointPruner(saver)
        threads = [f"thread-{n}" for n in range(12)]  # more than one SQLite prune batch
        for _ in range(3):  # three checkpoints per thread, no pruning yet
            for thread in threads:
                await graph.aupdate_state({"configurable": {"thread_id": thread}}, {"steps": 1})
        for thread in threads:
            pruner.after_turn(thread)  # the first starts a prune, the others wait for it
        await pruner.close()
        left = await scalar(url, "SELECT COUNT(*) FROM checkpoints")
    assert left == len(threads)


@pytest.mark.postgres
async def test_postgres_checkpoint_tables_are_vacuumed_as_turns_replace_them(
    postgres_databases: DatabaseFactory,
) -> None:
    url = postgres_databases.fresh()
    before = "SELECT COALESCE(SUM(vacuum_count), 0) FROM pg_stat_user_tables WHERE relname LIKE 'checkpoint%'"
    async with open_checkpointer(url) as saver:
        pruner = CheckpointPruner(saver, every=3)
        start = await scalar(url, before)
        for turn in range(3):
            pruner.after_turn(f"thread-{turn}")
        for _ in range(100):  # the VACUUM runs in the background; its statistics lag a bit
            if pruner.vacuums and await scalar(url, before) > start:
                break
            await asyncio.sleep(0.1)
    assert pruner.vacuums == 1
    assert await scalar(url, before) >= start + 3  # all three checkpoint tables
