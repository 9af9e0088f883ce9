"""What one web chat turn asks of the database, counted.

Performance is measured in `bench/` as ratios, never timed here; but the number of SQL
statements a turn runs is exact, and each one costs CPU on every turn (0.3-0.6 ms
through the ORM and driver, measured). These tests fail when a change quietly adds
queries to the hot path: raise a budget only on purpose."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from tests.conftest import make_settings, open_webchat
from tests.support.databases import DatabaseFactory
from tests.support.server import LiveServer, run_server

#: Statements of one steady-state turn, transaction control (BEGIN, SAVEPOINT) left out:
#: the visitor's session (which names the customer); the inbound insert into the open
#: conversation (one INSERT … SELECT, the look-up was a statement of its own); the
#: drain's next message with the conversation's checkpoint (read on its own before); the
#: workflow's tools; the new checkpoint, replies, inbound status, trace and the
#: conversation's turn in one commit (the checkpoint had its own connection and commit
#: until it joined the turn's).
ORDER_STATUS_BUDGET = 10
GREETING_BUDGET = 8
#: PostgreSQL adds the conversation's advisory lock and unlock (one turn at a time across
#: replicas).
POSTGRES_LOCKS = 2


def _is_background(task: asyncio.Task[object] | None) -> bool:
    """The sweeper's periodic query is not the turn's."""
    return task is not None and "_sweep" in getattr(task.get_coro(), "__qualname__", "")


async def _statements_of_one_turn(
    server: LiveServer, http: httpx.AsyncClient, text: str
) -> tuple[dict[str, object], list[str]]:
    maria = await open_webchat(http, "cus_maria")
    await maria.say("hi")  # the conversation exists; the next turn is a steady-state one
    await server.runtime.engine.settle()  # its lock released, its pushes sent
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if not _is_background(asyncio.current_task()):
            statements.append(" ".join(statement.split()))

    engine = server.runtime.db.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        turn = await maria.say(text)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    queries = [s for s in statements if not s.startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
    return turn, queries


def _budget(server: LiveServer, statements: int) -> int:
    sqlite = server.runtime.settings.database_url.startswith("sqlite")
    return statements if sqlite else statements + POSTGRES_LOCKS


@pytest.mark.parametrize(
    ("text", "route", "budget"),
    [
        ("Where is my order 1042?", "workflow:order_status", ORDER_STATUS_BUDGET),
        ("hello there", "workflow:greeting", GREETING_BUDGET),
    ],
)
async def test_a_turn_runs_a_bounded_number_of_statements(
    server: LiveServer, http: httpx.AsyncClient, text: str, route: str, budget: int
) -> None:
    turn, queries = await _statements_of_one_turn(server, http, text)
    assert turn["route"] == route
    assert len(queries) <= _budget(server, budget), "\n".join(queries)


@pytest.mark.postgres
async def test_on_postgresql_only_a_turns_writes_open_transactions(
    postgres_databases: DatabaseFactory, tmp_path: Path
) -> None:
    """Reads (the visitor's session, the next message, the tools' look-ups) run their
    statements alone: psycopg's BEGIN and ROLLBACK around each were two round trips more.
    Transactions left: the inbound insert's and the turn's."""
    from tests.storage.test_reads import queries_sent

    settings = make_settings(postgres_databases.fresh())
    async with run_server(settings) as server, httpx.AsyncClient(base_url=server.url) as http:
        maria = await open_webchat(http, "cus_maria")
        await maria.say("hi")
        await server.runtime.engine.settle()
        with queries_sent(server.runtime.db, tmp_path / "trace") as sent:
            turn = await maria.say("Where is my order 1042?")
            await server.runtime.engine.settle()
    assert turn["route"] == "workflow:order_status"
    begins = [q for q in sent if q.startswith("BEGIN")]
    assert len(begins) == 2, "\n".join(sent)
    assert "ROLLBACK" not in sent, "\n".join(sent)
