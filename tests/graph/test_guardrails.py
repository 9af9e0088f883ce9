"""The reply checks on their own: what a model may state, and what it may not."""

from __future__ import annotations

import json

import pytest

from graph.guardrails import check_grounded, check_small_talk

ORDERS = [
    json.dumps([{"number": "1042", "status": "shipped", "carrier": "DHL", "eta": "2026-12-05"}])
]


@pytest.mark.parametrize(
    "answer",
    [
        "Your order 1042 has shipped with DHL and should arrive on 2026-12-05.",
        "Order 1042 is on its way with DHL.",
        "Which order do you mean?",
        "Happy to help.",
    ],
)
def test_answers_that_rest_on_the_results_pass(answer: str) -> None:
    assert check_grounded(answer, tool_outputs=ORDERS, said=[]).ok


@pytest.mark.parametrize(
    ("answer", "outputs"),
    [
        ("Your order 1077 has shipped with DHL.", ORDERS),  # a number nobody returned
        ("Your order will arrive before the weekend, customs charges may apply.", []),
        ("I have checked everything and it all looks good on our side.", ORDERS),
    ],
)
def test_answers_that_do_not_are_stopped(answer: str, outputs: list[str]) -> None:
    assert not check_grounded(answer, tool_outputs=outputs, said=[]).ok


def test_a_figure_the_customer_gave_may_be_repeated() -> None:
    said = ["is order 1077 mine?"]
    assert check_grounded("Which e-mail did you use for order 1077?", tool_outputs=[], said=said).ok


@pytest.mark.parametrize(
    "text",
    [
        "Hi Maria! Happy to help with payments and orders at Acme.",
        "Goedemorgen! Ik help je graag met betalingen en bestellingen.",
        "You're welcome! Is there anything else I can do for you?",
    ],
)
def test_small_talk_that_states_nothing_passes(text: str) -> None:
    assert check_small_talk(text, names=["Acme", "Maria Garcia"]).ok


@pytest.mark.parametrize(
    "text",
    [
        "The 1998 FIFA World Cup was won by Germany.",
        "As far as I remember, Germany won. Anything else?",
        "Spring in Paris is lovely, you should visit it sometime.",
        "Your refund has already been sent back to your card, so all is well.",
    ],
)
def test_small_talk_with_a_claim_is_stopped(text: str) -> None:
    assert not check_small_talk(text, names=["Acme", "Maria Garcia"]).ok
