"""The model path against servers people run locally: what each accepts, and models that
write their answers as text. The fake server refuses what llama-server and
llama-cpp-python refuse; the real langchain-openai client talks to it over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.conftest import open_webchat
from tests.graph.test_agent import UNSURE, _trace, start, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import Call, FakeOpenAI, Say

ANALYSIS = {"intent": "other", "flags": [], "urgency": "normal", "sentiment": "neutral"}


def fenced(value: dict[str, object]) -> Say:
    return Say(f"Sure, here it is:\n```json\n{json.dumps(value)}\n```")


async def test_a_server_that_takes_only_string_tool_choice_classifies_and_reaches_tools(
    sqlite_databases: DatabaseFactory,
    fake_llm: FakeOpenAI,
    tmp_path: Path,
    admin_headers: dict[str, str],
) -> None:
    fake_llm.rejects = {"named_tool_choice"}  # llama-server's "Wrong type supplied" 400
    policy = write_policy(tmp_path, llm__agent_tool_calls="native")  # its tool calls as text
    fake_llm.queue(
        Call("MessageAnalysis", ANALYSIS),  # asked again with a JSON-schema response format
        fenced({"name": "orders__recent", "arguments": {}}),  # a small model's tool call
        Say("Your latest order #1042 (Wireless headphones) is on its way."),
        Call("MessageAnalysis", ANALYSIS),
        Say("Is there anything else about order #1042 you'd like to know?"),
    )
    async with await start(sqlite_databases, fake_llm, policy) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            turn = await maria.say(UNSURE)
            again = await maria.say("hmm, and what about the other thing I mentioned")
            traces = await _trace(http, admin_headers, turn["conversation_id"])

    assert "#1042" in turn["replies"][0]["text"]
    assert traces[0]["route"] == "agent"
    assert "orders.recent" in traces[0]["tools"]
    styles = [r.get("tool_choice") for r in fake_llm.requests]
    assert isinstance(styles[0], dict)  # refused
    assert fake_llm.requests[1]["response_format"]["type"] == "json_schema"
    assert styles[2:4] == ["auto", "auto"]  # the agent always says so
    assert "response_format" in fake_llm.requests[4]  # learnt once: asked the working way
    assert all("max_completion_tokens" in r for r in fake_llm.requests)  # no runaway answers
    # The call written as text went back to the model as a real tool call and result.
    sent = fake_llm.requests[3]["messages"]
    assert sent[-2]["tool_calls"][0]["function"]["name"] == "orders__recent"
    assert sent[-1]["role"] == "tool" and "1042" in sent[-1]["content"]
    assert "#1042" in again["replies"][0]["text"]


async def test_a_server_without_tools_or_formats_gets_the_schema_in_the_prompt(
    sqlite_databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    fake_llm.rejects = {"tools", "response_format"}
    fake_llm.queue(Say(json.dumps({**ANALYSIS, "intent": "order_status"})))
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            turn = await maria.say("the thing I bought, any news on it")

    assert "1042" in turn["replies"][0]["text"]  # the order workflow answered
    last = fake_llm.requests[-1]
    assert "tools" not in last and "response_format" not in last
    assert "JSON schema" in last["messages"][1]["content"]
    assert len(fake_llm.requests) == 4  # named, required, json_schema refused; then prompt


async def test_a_classification_written_as_fenced_json_is_read_from_the_text(
    sqlite_databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    fake_llm.queue(fenced({**ANALYSIS, "intent": "order_status"}))
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            turn = await maria.say("the thing I bought, any news on it")

    assert "1042" in turn["replies"][0]["text"]
    assert len(fake_llm.requests) == 1


async def test_the_policy_can_name_the_servers_style(
    sqlite_databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    fake_llm.queue(Say(json.dumps({**ANALYSIS, "intent": "order_status"})))
    policy = write_policy(tmp_path, llm__structured_output="json_schema")
    async with await start(sqlite_databases, fake_llm, policy) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            turn = await maria.say("the thing I bought, any news on it")

    assert "1042" in turn["replies"][0]["text"]
    [request] = fake_llm.requests
    assert request["response_format"]["type"] == "json_schema"
    assert "intent" in request["response_format"]["json_schema"]["schema"]["properties"]


async def test_llama_server_ignoring_the_tool_choice_is_found_out_once(
    sqlite_databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    # What llama-server really does with a named tool_choice: a warning, then prose.
    fake_llm.queue(
        Say("Sure! I'd be happy to help you with your order today."),
        Say(json.dumps({**ANALYSIS, "intent": "order_status"})),  # the schema, enforced
        Say(json.dumps({**ANALYSIS, "intent": "order_status"})),
    )
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            maria = await open_webchat(http, "cus_maria")
            first = await maria.say("the thing I bought, any news on it")
            again = await maria.say("and the thing I bought, news?")
    assert "1042" in first["replies"][0]["text"] and "1042" in again["replies"][0]["text"]
    assert isinstance(fake_llm.requests[0]["tool_choice"], dict)
    assert [("response_format" in r) for r in fake_llm.requests[1:]] == [True, True]


async def test_tool_calls_written_as_tags_or_doubled_braces_are_calls_not_replies(
    sqlite_databases: DatabaseFactory,
    fake_llm: FakeOpenAI,
    tmp_path: Path,
    admin_headers: dict[str, str],
) -> None:
    fake_llm.queue(
        Call("MessageAnalysis", ANALYSIS),
        Say('<tools>\n  <orders__recent>\n    {"limit": 3}\n  </orders__recent>\n</tools>'),
        Say('{{"name": "payments__list_charges", "arguments": {}}}}'),
        Say("Your latest order #1042 (Wireless headphones) is being prepared."),
    )
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            turn = await (await open_webchat(http, "cus_maria")).say(UNSURE)
            [trace] = await _trace(http, admin_headers, turn["conversation_id"])
    assert {"orders.recent", "payments.list_charges"} <= set(trace["tools"])
    assert turn["replies"][0]["text"].startswith("Your latest order #1042")


async def test_markup_a_model_meant_for_a_program_never_reaches_the_customer(
    sqlite_databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    fake_llm.queue(
        Call("MessageAnalysis", ANALYSIS),
        Say('<tools><tickets__lookup>{"category": "order"}</tickets__lookup></tools>'),
    )
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            turn = await (await open_webchat(http, "cus_maria")).say(UNSURE)
    assert "<tools>" not in turn["replies"][0]["text"]
    assert "{" not in turn["replies"][0]["text"]


async def test_on_a_schema_only_server_the_agent_calls_tools_as_json_actions(
    sqlite_databases: DatabaseFactory,
    fake_llm: FakeOpenAI,
    tmp_path: Path,
    admin_headers: dict[str, str],
) -> None:
    fake_llm.rejects = {"named_tool_choice"}
    fake_llm.queue(
        Say(json.dumps(ANALYSIS)),  # the classification, as the enforced schema
        Say(json.dumps({"action": "call_tool", "tool": "orders__recent", "arguments": {}})),
        Say(
            json.dumps(
                {
                    "action": "answer",
                    "answer": "Your latest order #1042 (Wireless headphones) is being prepared.",
                }
            )
        ),
    )
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as live:
        async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
            turn = await (await open_webchat(http, "cus_maria")).say(UNSURE)
            [trace] = await _trace(http, admin_headers, turn["conversation_id"])

    assert turn["replies"][0]["text"].startswith("Your latest order #1042")
    assert trace["route"] == "agent" and "orders.recent" in trace["tools"]
    first, second = fake_llm.requests[2], fake_llm.requests[3]
    assert "tools" not in first and first["response_format"]["type"] == "json_schema"
    asked = first["response_format"]["json_schema"]["schema"]["properties"]
    assert asked["action"]["const"] == "call_tool"  # the first step looks something up
    assert "orders__recent" in asked["tool"]["enum"]  # only the tools it was given
    assert (
        "answer"
        in second["response_format"]["json_schema"]["schema"]["properties"]["action"]["enum"]
    )
    assert "orders__recent" in first["messages"][1]["content"]  # the tools, described
    assert second["messages"][-1]["content"].startswith("Result of orders__recent:")
