"""Duplicate detection on a subscription: the same amount every month is not a duplicate,
and last month's bill does not hide this month's taken twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tools.payments import ChargeInfo, find_duplicate_charges

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _bill(charge_id: str, minutes_ago: int) -> ChargeInfo:
    return ChargeInfo(
        charge_id, None, 3200, "GBP", "succeeded", None, NOW - timedelta(minutes=minutes_ago)
    )


def test_monthly_bills_are_not_duplicates() -> None:
    assert find_duplicate_charges([_bill("nov", 30 * 24 * 60), _bill("dec", 60)]) == []


def test_a_bill_taken_twice_is_found_after_last_month_s() -> None:
    found = find_duplicate_charges([_bill("nov", 29 * 24 * 60), _bill("a", 180), _bill("b", 176)])
    assert [(d.charge_ids, d.duplicate_ids, d.refundable_cents) for d in found] == [
        (("a", "b"), ("b",), 3200)
    ]
