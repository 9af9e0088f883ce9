"""/metrics tells operators what the bot did and what is waiting on people."""

from __future__ import annotations

import re

import httpx

from tests.conftest import open_webchat
from tests.support.server import LiveServer


def _value(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = rf"^{name}\{{{wanted}\}} (\S+)$" if labels else rf"^{name} (\S+)$"
    match = re.search(pattern, text, re.M)
    assert match, f"{name} {labels} not in metrics"
    return float(match.group(1))


async def test_turns_nodes_handoffs_and_backlogs(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    await server.add_staff()  # someone to hand over to
    before = (await http.get("/metrics")).text
    seeded = (
        _value(
            before,
            "switchboard_turns_total",
            intent="billing_issue",
            route="workflow:billing_issue",
        )
        if "billing_issue" in before
        else 0.0
    )

    maria = await open_webchat(http, "cus_maria")
    await maria.say("My payment failed twice, but I was still charged. I need this fixed today.")
    await maria.say("I want a refund please")  # waits for approval
    visitor = await open_webchat(http)
    await visitor.say("I want to talk to a human")

    text = (await http.get("/metrics")).text
    assert (
        _value(
            text, "switchboard_turns_total", intent="billing_issue", route="workflow:billing_issue"
        )
        == seeded + 1
    )
    assert _value(text, "switchboard_node_seconds_count", node="classify") >= 3
    assert _value(text, "switchboard_approvals_waiting") == 1
    assert _value(text, "switchboard_open_handoffs") == 1
    assert _value(text, "switchboard_dead_letters") == 0
    assert "cus_maria" not in text and "maria@example.com" not in text
