"""Switchboard's checkpointer: one row per thread, written in the turn's transaction.

The table holds the live threads however long conversations run; a turn's tool writes,
checkpoint and replies commit together or not at all; LangGraph's published conformance
suite passes for what a one-checkpoint-per-thread saver implements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypedDict

import httpx
import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.conformance.spec import (
    test_delete_thread,
    test_get_tuple,
    test_list,
    test_put,
    test_put_writes,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt
from sqlalchemy import func, inspect, select
from sqlmodel import col

from graph.runner import TurnRequest
from storage import conversations, customers, messages
from storage.checkpoints import SqlCheckpointSaver
from storage.db import create_engine, libpq_url, session_factory, sqlite_path, transaction
from storage.migrate import upgrade
from storage.models import Direction, GraphCheckpoint, Message, Role, Ticket
from storage.turn_transaction import turn_transaction
from switchboard.runtime import open_runtime
from switchboard.settings import Settings
from tests.conftest import open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.rows import scalar
from tests.support.server import run_server

LINES = ["hi", "where is my order?", "what is your return policy", "thanks", "hello again"]


async def test_a_long_conversation_keeps_one_checkpoint_row(
    settings: Settings, database_url: str
) -> None:
    async with (
        run_server(settings) as live,
        httpx.AsyncClient(base_url=live.url, timeout=30) as http,
    ):
        maria = await open_webchat(http, "cus_maria")
        counts = []
        for turn in range(12):
            conversation_id = (await maria.say(LINES[turn % len(LINES)]))["conversation_id"]
            counts.append(
                await scalar(
                    database_url,
                    f"SELECT COUNT(*) FROM graph_checkpoints WHERE thread_id = '{conversation_id}'",
                )
            )
    assert counts == [1] * 12  # right after each reply, not once something caught up
    assert await scalar(database_url, "SELECT COUNT(*) FROM graph_checkpoints") == 1


# --- one transaction per turn -----------------------------------------------------------

DOUBLE_CHARGE = "My payment failed twice, but I was still charged. I need this fixed today."


async def _stored_message(settings: Settings) -> TurnRequest:
    db = create_engine(settings.database_url)
    try:
        async with transaction(session_factory(db)) as session:
            customer = await customers.get_customer_by_user_id(session, "cus_maria")
            assert customer is not None and customer.id is not None
            conversation = await conversations.open_conversation(
                session, channel="webchat", channel_chat_id="ws_turn", customer_id=customer.id
            )
            inbound, _ = await messages.insert_inbound(
                session,
                Message(
                    conversation_id=conversation.id,  # type: ignore[arg-type]
                    direction=Direction.inbound,
                    role=Role.customer,
                    channel="webchat",
                    channel_message_id="m1",
                    text=DOUBLE_CHARGE,
                    status="pending",
                ),
            )
        return TurnRequest(
            conversation_id=conversation.id,  # type: ignore[arg-type]
            message_id=inbound.id,  # type: ignore[arg-type]
            channel="webchat",
            text=DOUBLE_CHARGE,
            customer_id=customer.id,
            customer_name=customer.name,
        )
    finally:
        await db.dispose()


async def _counts(settings: Settings, thread: str) -> tuple[int, int]:
    db = create_engine(settings.database_url)
    try:
        async with session_factory(db)() as session:
            tickets = (await session.execute(select(func.count()).select_from(Ticket))).scalar()
            rows = (
                await session.execute(
                    select(func.count())
                    .select_from(GraphCheckpoint)
                    .where(col(GraphCheckpoint.thread_id) == thread)
                )
            ).scalar()
        return int(tickets or 0), int(rows or 0)
    finally:
        await db.dispose()


async def test_a_turn_s_tool_writes_and_checkpoint_commit_with_it_or_not_at_all(
    settings: Settings,
) -> None:
    """The double charge opens a ticket (a write tool) and moves the conversation's
    checkpoint; rolled back, neither happened; committed, both did."""
    request = await _stored_message(settings)
    thread = str(request.conversation_id)
    tickets_before, _ = await _counts(settings, thread)
    async with open_runtime(settings) as runtime:
        runner = runtime.engine.runner
        with pytest.raises(RuntimeError):
            async with turn_transaction(runtime.sessions) as turn:
                outcome = await runner.run_turn(request, turn=turn)
                assert "tickets.create" in outcome.tools
                raise RuntimeError("the process died before the commit")
        assert await _counts(settings, thread) == (tickets_before, 0)

        async with turn_transaction(runtime.sessions) as turn:
            outcome = await runner.run_turn(request, turn=turn)
        assert "tickets.create" in outcome.tools
    assert await _counts(settings, thread) == (tickets_before + 1, 1)


# --- LangGraph's conformance suite -------------------------------------------------------

#: What a saver that keeps only each thread's newest checkpoint cannot do: hand back an
#: older checkpoint of a thread, or list a thread's history. Nothing in Switchboard asks
#: (the transcript is in `messages`, each turn's decisions in `traces`).
HISTORY = {
    "test_put_multiple_checkpoints_same_thread",
    "test_put_incremental_channel_update",
    "test_get_tuple_specific_checkpoint_id",
    "test_list_all",
    "test_list_by_thread",
    "test_list_ordering",
    "test_list_metadata_filter_single_key",
    "test_list_metadata_filter_step",
    "test_list_before",
    "test_list_limit",
    "test_list_limit_plus_before",
    "test_list_combined_thread_and_filter",
    "test_list_metadata_custom_keys",
}
SUITES = [
    test_put.ALL_PUT_TESTS,
    test_put_writes.ALL_PUT_WRITES_TESTS,
    test_get_tuple.ALL_GET_TUPLE_TESTS,
    test_list.ALL_LIST_TESTS,
    test_delete_thread.ALL_DELETE_THREAD_TESTS,
]
CONFORMANCE = [
    pytest.param(
        case,
        id=case.__name__,
        marks=[pytest.mark.xfail(strict=True, reason="keeps no history")]
        if case.__name__ in HISTORY
        else [],
    )
    for suite in SUITES
    for case in suite
]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def conformance_url(request: pytest.FixtureRequest) -> str:
    factory: DatabaseFactory = request.getfixturevalue(f"{request.param}_databases")
    return factory.fresh()


@pytest.mark.parametrize("case", CONFORMANCE)
async def test_langgraph_conformance(conformance_url: str, case: object) -> None:
    db = create_engine(conformance_url)
    try:
        await case(SqlCheckpointSaver(session_factory(db)))  # type: ignore[operator]
    finally:
        await db.dispose()


# --- carrying live checkpoints over from LangGraph's own tables (migration 0021) ---------


class Counted(TypedDict, total=False):
    turns: int
    answer: str


def _counting_graph() -> StateGraph[Counted]:
    """A conversation's thread: each run adds a turn."""
    graph = StateGraph(Counted)
    graph.add_node("count", lambda state: {"turns": state.get("turns", 0) + 1})
    graph.add_edge(START, "count")
    graph.add_edge("count", END)
    return graph


def _waiting_graph() -> StateGraph[Counted]:
    """An approval's thread: waits in `interrupt()` for staff's decision."""
    graph = StateGraph(Counted)
    graph.add_node("ask", lambda state: {"answer": interrupt("approve?")})
    graph.add_edge(START, "ask")
    graph.add_edge("ask", END)
    return graph


@asynccontextmanager
async def _langgraph_saver(url: str) -> AsyncIterator[Any]:
    if url.startswith("sqlite"):
        async with AsyncSqliteSaver.from_conn_string(sqlite_path(url)) as saver:
            await saver.setup()
            yield saver
        return
    async with AsyncPostgresSaver.from_conn_string(libpq_url(url)) as saver_pg:
        await saver_pg.setup()
        yield saver_pg


async def test_live_threads_are_carried_over_by_the_migration(databases: DatabaseFactory) -> None:
    url = databases.empty()
    upgrade(url, "0020")
    conversation: RunnableConfig = {"configurable": {"thread_id": "7"}}
    approval: RunnableConfig = {"configurable": {"thread_id": "approval:3"}}
    async with _langgraph_saver(url) as old:
        counting = _counting_graph().compile(checkpointer=old)
        for _ in range(3):
            await counting.ainvoke({}, conversation)
        await _waiting_graph().compile(checkpointer=old).ainvoke({}, approval)

    upgrade(url)

    db = create_engine(url)
    try:
        saver = SqlCheckpointSaver(session_factory(db))
        async with session_factory(db)() as session:
            tables = await session.run_sync(lambda s: inspect(s.get_bind()).get_table_names())
            rows = (
                await session.execute(select(func.count()).select_from(GraphCheckpoint))
            ).scalar()
        assert "checkpoints" not in tables and "checkpoint_blobs" not in tables
        assert rows == 2  # the newest checkpoint of each thread
        state = await _counting_graph().compile(checkpointer=saver).ainvoke({}, conversation)
        assert state["turns"] == 4  # the conversation goes on where it was
        waiting = _waiting_graph().compile(checkpointer=saver)
        assert (await waiting.aget_state(approval)).next == ("ask",)
        decided = await waiting.ainvoke(Command(resume="approved"), approval)
        assert decided["answer"] == "approved"  # the approval still waited, and resumes
    finally:
        await db.dispose()
