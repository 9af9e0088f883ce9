"""Property: whatever order answers, corrections, digressions, new requests, cancels and
goodbyes come in, no conversation gets stuck. Every turn gets a reply; after every turn the
stack is empty or waits on exactly one question (frames below it are suspended questions,
never half-run workflows); the rating is asked at most once and never mid-workflow."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.app import create_app
from switchboard.runtime import Runtime
from tests.conftest import make_settings
from tests.graph.conftest import PolicyFile
from tests.graph.conversation import RATING_QUESTION, Customer
from tests.support.databases import DatabaseFactory

MOVES = {
    "answer": ["1042", "1038", "Order #2001", "2", "the first one", "9999", "12"],
    "correct": ["sorry, I meant 1038", "no, the other one", "oops, I meant order 1042"],
    "digress": ["what's your return policy?", "hi", "how long does shipping take", "thanks"],
    "request": [
        "where is my order",
        "I want a refund",
        "I was charged twice",
        "Where is order 1042? Also I was charged twice",
        "can I get my money back for order 1038",
    ],
    "cancel": ["never mind", "stop", "cancel that", "forget it"],
    "close": ["thanks, that's all", "bye", "4", "No comment", "great service"],
    "noise": ["asdf", "banana", "???", "ok"],
}
said = st.sampled_from(sorted(MOVES)).flatmap(lambda kind: st.sampled_from(MOVES[kind]))
conversations = st.tuples(st.sampled_from(["cus_maria", "cus_sam"]), st.lists(said, max_size=9))


def check_turn(customer: Customer, text: str) -> None:
    turn = customer.turns[-1]
    assert turn.replies and all(r["text"].strip() for r in turn.replies), text
    stack = turn.dialogue.get("stack") or []
    assert len(stack) <= 3
    if stack:
        assert turn.dialogue["asks_for"], f"{text!r} left {stack} running without a question"
        assert turn.said.rstrip().endswith("?") or turn.buttons, "a question must be asked"
    if RATING_QUESTION in turn.said:
        assert not stack, "rating asked in the middle of a workflow"


@pytest.fixture(scope="module")
async def runtime(
    sqlite_databases: DatabaseFactory, policy_file: PolicyFile
) -> AsyncIterator[Runtime]:
    """One app for every example; each example is a new conversation."""
    config = make_settings(sqlite_databases.fresh(), SWITCHBOARD_POLICY=str(policy_file()))
    app = create_app(config)
    async with app.router.lifespan_context(app):
        yield app.state.runtime


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(conversation=conversations)
async def test_no_interleaving_leaves_a_conversation_stuck(
    runtime: Runtime, conversation: tuple[str, list[str]]
) -> None:
    user, texts = conversation
    customer = Customer(runtime, user)
    for text in texts:
        await customer.say(text)
        check_turn(customer, text)
    asked = [t for t in customer.turns if RATING_QUESTION in t.said]
    assert len(asked) <= 1, "rating asked twice"
