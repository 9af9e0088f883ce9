"""Reading answers, corrections, cancels and ratings: patterns that must be exact."""

from __future__ import annotations

import pytest

from graph.policy import Policy, SlotPolicy, load_policy
from graph.slots import (
    describe,
    is_cancel,
    is_closing,
    is_correction,
    parse_answer,
    parse_rating,
)
from graph.stack import new_frame, topic, view
from graph.state import Frame
from tests.graph.conversation import DEFAULT_POLICY

ORDER = SlotPolicy(prompt="Which order?", kind="order_number", pattern=r"^\d{3,8}$")
OFFERED = Frame(name="order_status", slots={"order_number": "1042"}, choices=["1042", "1038"])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1038", "1038"),
        ("Order #1038", "1038"),
        ("it's #1042 I think", "1042"),
        ("the second one", "1038"),
        ("2", "1038"),
        ("no, the other one", "1038"),
        ("the latest", "1042"),
        ("12", "12"),  # read, then refused by the format check
        ("the blue one", None),
        ("what's your return policy?", None),
    ],
)
def test_order_number_answers(text: str, value: str | None) -> None:
    assert parse_answer(ORDER, text, OFFERED, "order_number") == value


def test_email_and_free_text_slots() -> None:
    email = SlotPolicy(prompt="Your account email?", kind="email")
    frame = Frame(name="x", slots={}, choices=[])
    assert parse_answer(email, "it is Maria@Example.com thanks", frame, "e") == "Maria@Example.com"
    assert parse_answer(email, "no idea", frame, "e") is None
    assert parse_answer(SlotPolicy(prompt="Why?"), "  broken  ", frame, "why") == "broken"


@pytest.mark.parametrize(
    "text",
    ["never mind", "Nevermind!", "cancel", "cancel that", "stop", "ok, forget it", "no thanks"],
)
def test_cancels(text: str) -> None:
    assert is_cancel(text)


@pytest.mark.parametrize(
    "text", ["cancel my order 1042", "stop charging me twice", "I want to cancel my subscription"]
)
def test_requests_that_mention_cancel_are_not_cancels(text: str) -> None:
    assert not is_cancel(text)


def test_closing_and_corrections() -> None:
    assert is_closing("thanks, that's all") and is_closing("bye") and not is_closing("stop")
    assert is_correction("sorry, I meant 1038") and is_correction("no, the other one")
    assert not is_correction("where is order 1038")


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("4", 4),
        ("5 stars", 5),
        ("3/5", 3),
        ("★★★★", 4),
        ("five", 5),
        ("6", None),
        ("great", None),
        ("I'd give it a 3", 3),
        ("a solid 4", 4),
        ("I give you 4/5 thanks", 4),
        ("order 1042", None),
        ("it took 3 days to arrive and nobody answered me", None),
        ("four stars", 4),
        ("hmm maybe three out of five", 3),
        ("quatre étoiles", 4),
        ("ich gebe 4 Sterne", 4),
        ("le doy un 5", 5),
        ("two orders are late and nobody answered", None),
    ],
)
def test_ratings(text: str, score: int | None) -> None:
    assert parse_rating(text) == score


def test_frames_take_details_from_the_message_and_name_the_request() -> None:
    policy: Policy = load_policy(DEFAULT_POLICY)
    frame = new_frame(policy, "order_status", {"order_ids": ["1042"]})
    assert frame["slots"] == {"order_number": "1042"} and frame["topic"] == "your order"
    assert topic(policy, "billing_issue", {"flags": ["double_charge"]}) == "the double charge"
    waiting = {**frame, "asking": "order_number"}
    assert view({"stack": [waiting]}) == {
        "active": "order_status",
        "asks_for": "order_number",
        "stack": ["order_status"],
        "paused": [],
        "csat": None,
    }


def test_route_steps_are_the_graph_s_node_table() -> None:
    """Every step a route can name is a node of the graph, but respond, which ends the
    turn inside the node that chose it (graph/builder.py `then`)."""
    from graph.builder import WORKFLOW_NODES, build_graph
    from graph.nodes.route import STEPS

    assert set(STEPS) == {*WORKFLOW_NODES, "respond"}
    assert set(build_graph().nodes) == {"understand", *WORKFLOW_NODES}


RECENT = [
    {"number": "2001", "items": "Coffee grinder", "status": "shipped"},
    {"number": "1042", "items": "Wireless headphones", "status": "processing"},
    {"number": "1038", "items": "Phone case", "status": "delivered"},
]


@pytest.mark.parametrize(
    ("text", "picked"),
    [
        ("the coffee grinder", "2001"),
        ("the one with the headphones", "1042"),
        ("phone case please", "1038"),
        ("the one with the order", None),  # says nothing about which
        ("the grinder, no wait, 1038", "1038"),  # a number says it better
    ],
)
def test_a_choice_is_picked_by_what_it_is(text: str, picked: str | None) -> None:
    slot = SlotPolicy(prompt="Which order?", kind="order_number")
    offered = ["2001", "1042", "1038"]
    frame: Frame = {"choices": offered, "choice_words": describe(offered, {"recent": RECENT})}
    assert frame["choice_words"]["2001"].startswith("Coffee grinder")
    assert parse_answer(slot, text, frame, "order_number") == picked


def test_the_older_one_is_the_next_offered_after_the_one_shown() -> None:
    slot = SlotPolicy(prompt="Which order?", kind="order_number")
    shown: Frame = {"choices": ["1042", "1038"], "slots": {"order_number": "1042"}}
    assert parse_answer(slot, "nope, I meant the older one", shown, "order_number") == "1038"
    others: Frame = {"choices": ["1038"], "slots": {"order_number": "1042"}}
    assert parse_answer(slot, "the earlier one", others, "order_number") == "1038"
    several: Frame = {"choices": ["2001", "1042", "1038"]}
    assert parse_answer(slot, "the older one", several, "order_number") is None
