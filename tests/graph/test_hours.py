"""The policy's `handoff.hours`: open or closed, and when staff are back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from graph.hours import HandoffHours, when_open

HOURS = HandoffHours(
    timezone="Europe/Berlin",
    weekly={"mon": "08:00-18:00", "tue": "08:00-12:00, 13:00-17:00", "fri": "08:00-18:00"},
    holidays=["2026-12-25"],  # type: ignore[list-item]
)


def test_open_inside_a_range_in_local_time() -> None:
    # Tuesday 1 December 2026, 10:30 in Berlin is 09:30 UTC.
    assert HOURS.is_open(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))
    assert not HOURS.is_open(datetime(2026, 12, 1, 11, 30, tzinfo=UTC))  # lunch
    assert not HOURS.is_open(datetime(2026, 12, 1, 6, 59, tzinfo=UTC))


def test_next_opening_skips_closed_days_and_holidays() -> None:
    thursday = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
    opening = HOURS.next_opening(thursday)
    assert opening is not None and opening.isoformat() == "2026-12-04T08:00:00+01:00"
    assert when_open(opening, thursday) == "tomorrow at 8:00 CET"
    christmas = datetime(2026, 12, 24, 20, 0, tzinfo=UTC)  # Friday the 25th is a holiday
    after = HOURS.next_opening(christmas)
    assert after is not None and after.isoformat() == "2026-12-28T08:00:00+01:00"
    assert when_open(after, christmas) == "Monday at 8:00 CET"


def test_never_open_has_no_next_opening() -> None:
    assert HandoffHours().next_opening(datetime(2026, 12, 3, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    "bad",
    [
        {"timezone": "Mars/Olympus"},
        {"weekly": {"mon": "18:00-08:00"}},
        {"weekly": {"x": ""}},
        {"holiday": ["2026-12-25"]},  # misspelt
    ],
)
def test_bad_hours_are_refused_with_a_message(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        HandoffHours.model_validate(bad)
