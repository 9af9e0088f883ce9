"""Messages the local classifier is unsure of reach the agent, and the agent answers them
from the customer's own orders and payments (real model, real tools, demo data)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.scenarios.runner import ScenarioReport
from switchboard.scenarios.schema import Expect, Scenario, Turn
from tests.llm.conversations import (
    converse,
    describe,
    fell_back,
    needs_model,
    record,
)
from tests.llm.messages import MESSAGES, Unsure

pytestmark = needs_model
THRESHOLD = 0.35  # switchboard/default_policy.yaml classifier.threshold
# `run.py --limit N`: the first N messages only, for a quicker look.
CHOSEN = MESSAGES[: int(os.environ.get("SWITCHBOARD_TEST_LLM_LIMIT") or len(MESSAGES))]


def _scenario(message: Unsure) -> Scenario:
    expect = Expect(reply_not_contains=["ch_maria", "cus_maria", "error"], max_llm_calls=6)
    return Scenario(
        name=message.text,
        customer="cus_maria",
        needs_llm=True,
        tags=["unsure", message.group],
        turns=[Turn(say=message.text, expect=expect)],
    )


@pytest.fixture(scope="module")
async def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScenarioReport]:
    return await converse([_scenario(m) for m in CHOSEN], tmp_path_factory.mktemp("unsure"))


@pytest.mark.parametrize("message", CHOSEN, ids=[m.text[:40] for m in CHOSEN])
async def test_an_unsure_account_question_is_looked_up_by_the_agent(
    message: Unsure,
    reports: dict[str, ScenarioReport],
    record_property: Callable[[str, Any], None],
) -> None:
    report = reports[message.text]
    record(record_property, report)
    turn = report.turns[0]
    seen = describe(report)
    assert turn.confidence is not None and turn.confidence < THRESHOLD, (
        f"the local classifier is sure of this one now, pick another message\n{seen}"
    )
    assert turn.route == "agent", seen
    assert set(turn.tools) & set(message.answered_by), seen
    assert not fell_back(turn), seen
    assert not turn.failures, seen
