"""Intent corrections: stored once per turn, relabelled in place, gone with their customer
or conversation (erasure, pruning), on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.corrections import (
    NothingToLearn,
    TurnNotFound,
    correction_for_trace,
    list_corrections,
    record_correction,
    training_pairs,
)
from storage.customers import get_customer_by_user_id
from storage.db import create_engine, session_factory, transaction
from storage.models import (
    IntentCorrection,
    Trace,
)
from storage.retention import erase_customer, prune_conversations
from tests.support.rows import add_traced_turns


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _turn(
    sessions: async_sessionmaker[AsyncSession],
    text: str,
    *,
    intent: str = "faq",
    customer: str | None = None,
    conversation_id: int | None = None,
) -> Trace:
    """One processed customer message with its trace, as the engine leaves it."""
    async with transaction(sessions) as session:
        owner = await get_customer_by_user_id(session, customer) if customer else None
        (trace,) = await add_traced_turns(
            session,
            [text],
            chat_id=f"chat-{text[:10]}",
            conversation_id=conversation_id,
            customer_id=owner.id if owner else None,
            intent=intent,
            confidence=0.41,
        )
        return trace


async def _label(
    sessions: async_sessionmaker[AsyncSession], trace_id: int, intent: str, by: str = "UALEX"
) -> tuple[int, bool]:
    async with transaction(sessions) as session:
        labelled = await record_correction(
            session, trace_id=trace_id, intent=intent, labelled_by=by, source="slack"
        )
        assert labelled.correction.id is not None
        return labelled.correction.id, labelled.changed


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int((await session.exec(select(func.count()).select_from(IntentCorrection))).one())


async def test_round_trip_and_relabel_updates_the_same_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    turn = await _turn(sessions, "  where's my parcel, it is late  ")
    assert turn.id is not None

    first_id, changed = await _label(sessions, turn.id, "order_status")
    assert changed
    async with sessions() as session:
        [(row, trace)] = await list_corrections(session)
        assert row.text == "where's my parcel, it is late"  # copied from the message
        assert (row.intent, row.labelled_by, row.source) == ("order_status", "UALEX", "slack")
        assert trace.intent == "faq"  # what the model had said stays on the trace
        created, updated = row.created_at, row.updated_at

    assert await _label(sessions, turn.id, "order_status", by="UBOB") == (first_id, False)
    assert await _label(sessions, turn.id, "billing_issue", by="UBOB") == (first_id, True)
    async with sessions() as session:
        row = await correction_for_trace(session, turn.id)
        assert row is not None
        assert (row.intent, row.labelled_by) == ("billing_issue", "UBOB")
        assert row.created_at == created and row.updated_at > updated
        assert await training_pairs(session) == [("where's my parcel, it is late", "billing_issue")]
    assert await _count(sessions) == 1


async def test_later_labels_come_last_and_pages_go_backwards(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    turns = [await _turn(sessions, f"question number {n}") for n in range(3)]
    for turn in turns:
        assert turn.id is not None
        await _label(sessions, turn.id, "faq")
    assert turns[0].id is not None
    await _label(sessions, turns[0].id, "greeting")  # relabelled last

    async with sessions() as session:
        pairs = await training_pairs(session)
        assert pairs[-1] == ("question number 0", "greeting")
        newest = await list_corrections(session, limit=2)
        assert [t.id for _, t in newest] == [turns[2].id, turns[1].id]
        older = await list_corrections(session, limit=2, before_id=newest[-1][0].id)
        assert [t.id for _, t in older] == [turns[0].id]


async def test_unknown_turns_and_turns_without_text_are_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    empty = await _turn(sessions, "   ")
    assert empty.id is not None
    async with transaction(sessions) as session:
        with pytest.raises(TurnNotFound):
            await record_correction(
                session, trace_id=999_999, intent="faq", labelled_by="a", source="admin"
            )
        with pytest.raises(NothingToLearn):
            await record_correction(
                session, trace_id=empty.id, intent="faq", labelled_by="a", source="admin"
            )
        with pytest.raises(ValueError, match="source"):
            await record_correction(
                session, trace_id=empty.id, intent="faq", labelled_by="a", source="email"
            )
    assert await _count(sessions) == 0


async def test_erasure_removes_that_customers_corrections_only(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    maria = await _turn(sessions, "maria's charge question", customer="cus_maria")
    sam = await _turn(sessions, "sam's charge question", customer="cus_sam")
    assert maria.id is not None and sam.id is not None
    await _label(sessions, maria.id, "billing_issue")
    await _label(sessions, sam.id, "billing_issue")

    async with transaction(sessions) as session:
        assert (await erase_customer(session, "cus_maria")).customer_found
    async with sessions() as session:
        assert await training_pairs(session) == [("sam's charge question", "billing_issue")]
        # The erased turn cannot be labelled again: its text is gone.
        with pytest.raises(NothingToLearn):
            await record_correction(
                session, trace_id=maria.id, intent="faq", labelled_by="a", source="admin"
            )


async def test_pruning_removes_the_corrections_of_pruned_conversations(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    old = await _turn(sessions, "an old question")
    second = await _turn(sessions, "and another one", conversation_id=old.conversation_id)
    kept = await _turn(sessions, "a recent question")
    for turn in (old, second, kept):
        assert turn.id is not None
        await _label(sessions, turn.id, "faq")

    async with transaction(sessions) as session:
        pruned = await prune_conversations(session, [old.conversation_id])
    assert pruned.messages == 2
    async with sessions() as session:
        assert await training_pairs(session) == [("a recent question", "faq")]
