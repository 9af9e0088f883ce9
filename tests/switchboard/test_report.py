"""Every report key against the hand-built conversations in tests/support/report_data.py,
on SQLite and PostgreSQL: the figures are SQL, so both databases must agree."""

from __future__ import annotations

from typing import Any

import pytest

from storage.db import create_engine
from switchboard.api.analytics_page import analytics_page
from switchboard.reports.report import Window, build_report
from tests.support.databases import DatabaseFactory
from tests.support.report_data import BASE, SINCE, UNTIL, load_report_data


async def report(url: str, **kwargs: Any) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await build_report(conn, Window(since=SINCE, until=UNTIL, **kwargs))
    finally:
        await engine.dispose()


@pytest.fixture
async def report_url(databases: DatabaseFactory) -> str:
    url = databases.fresh()
    await load_report_data(url)
    return url


async def test_every_key(report_url: str) -> None:
    figures = await report(report_url)
    assert figures["conversations"] == 4
    assert figures["containment_rate"] == 0.5
    assert figures["handoff_rate"] == 0.5
    assert figures["handoff_reasons"] == {"agent:budget": 1, "customer_request": 1}
    assert figures["first_response_ms"] == {
        "bot": {"p50": 400.0, "p90": 1000.0},
        "staff": {"p50": 120000.0, "p90": 120000.0},
    }
    assert figures["resolution_minutes_p50"] == 5.0
    assert figures["csat"] == {"average": 4.0, "responses": 2, "response_rate": 0.5}
    assert figures["intents"] == [
        {"intent": "order_status", "turns": 2, "containment_rate": 1.0, "avg_confidence": 0.85},
        {"intent": "billing_issue", "turns": 1, "containment_rate": 0.0, "avg_confidence": 0.95},
        {"intent": "faq", "turns": 1, "containment_rate": 1.0, "avg_confidence": 0.35},
        {"intent": "handoff", "turns": 1, "containment_rate": 0.0, "avg_confidence": 0.3},
    ]
    assert figures["languages"] == [
        {
            "language": "es",
            "conversations": 2,
            "containment_rate": 0.0,
            "handoff_rate": 1.0,
            "csat_average": 3.0,
        },
        {
            "language": "en",
            "conversations": 1,
            "containment_rate": 1.0,
            "handoff_rate": 0.0,
            "csat_average": 5.0,
        },
        {
            "language": None,
            "conversations": 1,
            "containment_rate": 1.0,
            "handoff_rate": 0.0,
            "csat_average": None,
        },
    ]
    versions = figures["policy_versions"]
    assert [(v["policy_version"], v["conversations"]) for v in versions] == [
        ("aaaa1111", 2),  # before the change, earliest first
        ("bbbb2222", 1),
        (None, 1),  # no turn traced a version
    ]
    assert versions[0] | {"first_conversation_at": None} == {
        "policy_version": "aaaa1111",
        "conversations": 2,
        "containment_rate": 0.5,
        "handoff_rate": 0.5,
        "csat_average": 4.0,
        "first_conversation_at": None,
    }
    assert versions[0]["first_conversation_at"] == BASE.isoformat()
    assert (versions[1]["containment_rate"], versions[1]["handoff_rate"]) == (0.0, 1.0)
    assert figures["turns"] == 5
    assert figures["low_confidence_share"] == 0.4
    assert figures["llm_calls_per_turn"] == 0.6
    assert figures["tokens_per_conversation"] == 100.0
    assert figures["cost_usd"] == pytest.approx(0.005)
    assert figures["approvals"] == {"count": 2, "approve_rate": 0.5, "median_wait_s": 30.0}
    assert figures["delivery_failures"] == 1


async def test_channel_filter(report_url: str) -> None:
    figures = await report(report_url, channel="telegram")
    assert figures["conversations"] == 2
    assert figures["containment_rate"] == 0.5
    assert figures["handoff_reasons"] == {"agent:budget": 1}
    assert figures["first_response_ms"]["bot"] == {"p50": 100.0, "p90": 500.0}
    assert figures["first_response_ms"]["staff"] == {"p50": None, "p90": None}
    assert figures["resolution_minutes_p50"] == 5.0
    assert figures["csat"] == {"average": None, "responses": 0, "response_rate": 0.0}
    assert figures["approvals"]["count"] == 2


async def test_empty_window_has_every_key_and_no_division_by_zero(report_url: str) -> None:
    figures = await report(report_url, channel="slack")
    assert figures["conversations"] == 0
    assert figures["containment_rate"] is None and figures["handoff_rate"] is None
    assert figures["intents"] == [] and figures["handoff_reasons"] == {}
    assert figures["cost_usd"] == 0.0 and figures["delivery_failures"] == 0


async def test_the_analytics_page_splits_conversations_by_language(report_url: str) -> None:
    figures = await report(report_url)
    page = analytics_page(figures, [], window_days=30, channel=None)
    table = page[page.index('<table id="languages">') :]
    assert table.index("Spanish (es)") < table.index("English (en)") < table.index("not recorded")


async def test_the_analytics_page_shows_each_policy_version_before_the_next(
    report_url: str,
) -> None:
    figures = await report(report_url)
    page = analytics_page(figures, [], window_days=30, channel=None)
    table = page[page.index('<table id="policy-versions">') :]
    assert table.index("aaaa1111") < table.index("bbbb2222") < table.index("not recorded")
    assert "2030-01-01 10:00" in table
