"""`fit_to`, the one place a reply is shaped to a channel's declared capabilities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bots.base import ChannelCapabilities
from bots.fitting import OutboundPart, fit_to, numbered_answer, split_text, units

NO_BUTTONS = ChannelCapabilities(max_text_length=60, quick_replies=False)
BUTTONS = ChannelCapabilities(
    max_text_length=60, quick_replies=True, max_quick_replies=3, max_quick_reply_length=10
)


def test_a_channel_without_buttons_gets_numbered_choices() -> None:
    assert fit_to(NO_BUTTONS, "Was this helpful?", ["Yes", "No"]) == [
        OutboundPart("Was this helpful?\n\n1. Yes\n2. No")
    ]


def test_more_choices_than_a_channel_shows_are_all_numbered() -> None:
    [part] = fit_to(BUTTONS, "Which?", ["A", "B", "C", "D"])
    assert part == OutboundPart("Which?\n\n1. A\n2. B\n3. C\n4. D")
    [part] = fit_to(BUTTONS, "Which?", ["A", "A label too long"])
    assert part == OutboundPart("Which?\n\n1. A\n2. A label too long")


def test_a_number_answers_choices_shown_as_numbered_text_only() -> None:
    assert numbered_answer(NO_BUTTONS, ["Yes", "No"], "2") == "No"
    assert numbered_answer(NO_BUTTONS, ["Yes", "No"], " 1. ") == "Yes"
    assert numbered_answer(BUTTONS, ["A", "B", "C", "D"], "#4") == "D"  # too many buttons
    assert numbered_answer(NO_BUTTONS, ["Yes", "No"], "3") is None  # not offered
    assert numbered_answer(NO_BUTTONS, ["Yes", "No"], "2 items") is None
    assert numbered_answer(NO_BUTTONS, [], "1") is None
    # Shown as buttons, "1" is what the customer means by it (a quantity, an answer).
    assert numbered_answer(BUTTONS, ["Yes", "No"], "1") is None


def test_numbered_choices_that_overflow_go_in_the_next_part() -> None:
    text = "A first sentence. " * 3 + "And the question?"
    parts = fit_to(NO_BUTTONS, text, ["Yes", "No"])
    assert [p.text for p in parts] == [
        "A first sentence. A first sentence. A first sentence.",
        "And the question?\n\n1. Yes\n2. No",
    ]


def test_buttons_ride_on_the_last_part_only() -> None:
    parts = fit_to(BUTTONS, "One sentence here. " * 8, ["Yes", "No"])
    assert len(parts) == 3
    assert [p.quick_replies for p in parts] == [(), (), ("Yes", "No")]


def test_a_paragraph_break_in_the_second_half_beats_a_later_sentence_end() -> None:
    text = "x" * 35 + ".\n\nSecond paragraph. It goes on. And on and on."
    assert split_text(text, 60)[0] == "x" * 35 + "."


def test_a_sentence_end_beats_a_later_space() -> None:
    text = "Short one. Then a long sentence that runs past the limit for sure"
    assert split_text(text, 40) == [
        "Short one.",
        "Then a long sentence that runs past the",
        "limit for sure",
    ]


def test_cjk_sentences_are_cut_after_their_full_stop() -> None:
    text = "注文は発送されました。" * 3
    assert split_text(text, 15) == ["注文は発送されました。"] * 3


def test_an_astral_character_counts_two() -> None:
    assert units("📦a") == 3
    assert split_text("📦" * 4, 5) == ["📦📦", "📦📦"]


def test_nothing_to_show_is_no_part() -> None:
    assert fit_to(BUTTONS, " \n ", []) == []


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        ChannelCapabilities(max_text_length=0, quick_replies=True)


ALPHABET = st.sampled_from([*"ab c.\n!?", "📦", "é", "\u0301", "🇫", "🇷", "\u200d"])


@given(st.text(ALPHABET, max_size=400), st.integers(min_value=4, max_value=80))
def test_parts_fit_and_only_whitespace_at_a_cut_is_dropped(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(part and units(part) <= limit for part in parts)
    # Each part is the next stretch of the text; only whitespace lies between them.
    position = 0
    for part in parts:
        found = text.index(part, position)
        assert not text[position:found].strip()
        position = found + len(part)
    assert not text[position:].strip()
