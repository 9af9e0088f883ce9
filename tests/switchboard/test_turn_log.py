"""`serve` logs one structured line per turn: which conversation and channel, the route,
how long, how many model calls; never what anyone wrote."""

from __future__ import annotations

import httpx
from structlog.testing import capture_logs

from tests.conftest import open_webchat

SECRET_TEXT = "my card is 4111 1111 1111 1111 and my order is 1042"


async def test_one_line_a_turn_without_the_text(http: httpx.AsyncClient) -> None:
    with capture_logs() as logs:
        maria = await open_webchat(http, "cus_maria")
        turn = await maria.say(SECRET_TEXT)
    lines = [entry for entry in logs if entry["event"] == "turn"]
    assert len(lines) == 1
    [line] = lines
    assert line["conversation_id"] == turn["conversation_id"]
    assert line["channel"] == "webchat" and line["route"] == turn["route"]
    assert line["ms"] >= 0 and line["llm_calls"] == 0
    assert "4111" not in repr(logs) and "1042" not in repr(line)
