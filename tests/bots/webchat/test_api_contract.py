"""The web chat API contract: idempotent retries, ordering, and every kind of bad input."""

from __future__ import annotations

import asyncio

import httpx

from tests.conftest import open_webchat


async def test_same_client_message_id_returns_the_same_replies_once(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    maria = await open_webchat(http, "cus_maria")
    first = await maria.say("where is my order?", client_message_id="retry-1")
    again = await maria.say("where is my order?", client_message_id="retry-1")

    assert again["message_id"] == first["message_id"]
    assert again["replies"] == first["replies"]
    history = (await maria.history())["messages"]
    assert [m["role"] for m in history] == ["customer", "bot"]


async def test_concurrent_retries_of_one_message_are_processed_once(
    http: httpx.AsyncClient,
) -> None:
    maria = await open_webchat(http, "cus_maria")
    results = await asyncio.gather(
        *(maria.say("hello", client_message_id="burst") for _ in range(5))
    )
    assert len({r["message_id"] for r in results}) == 1
    assert all(r["replies"] == results[0]["replies"] for r in results)
    assert len((await maria.history())["messages"]) == 2


async def test_a_burst_in_one_conversation_is_answered_in_order(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    maria = await open_webchat(http, "cus_maria")
    texts = ["hello", "where is my order?", "what is your return policy", "thanks", "hi"]
    await asyncio.gather(*(maria.say(t, client_message_id=f"m{i}") for i, t in enumerate(texts)))

    conversation_id = (await maria.say("bye"))["conversation_id"]
    detail = (
        await http.get(f"/api/admin/conversations/{conversation_id}", headers=admin_headers)
    ).json()
    inbound = [m for m in detail["messages"] if m["direction"] == "inbound"]
    assert all(m["status"] == "processed" for m in inbound)
    # Turns ran one at a time in arrival order: traces follow the inbound ids, and every
    # answer fits its own question.
    traces = detail["traces"]
    assert [t["message_id"] for t in traces] == [m["id"] for m in inbound]
    expected = {
        "hello": "greeting",
        "hi": "greeting",
        "thanks": "greeting",
        "bye": "greeting",
        "where is my order?": "order_status",
        "what is your return policy": "faq",
    }
    assert [t["intent"] for t in traces] == [expected[m["text"]] for m in inbound]
    bot = [m for m in detail["messages"] if m["direction"] == "outbound"]
    assert len(bot) == len(inbound)


async def test_sessions_are_isolated(http: httpx.AsyncClient) -> None:
    maria = await open_webchat(http, "cus_maria")
    visitor = await open_webchat(http)
    await maria.say("My payment failed twice, but I was still charged.", client_message_id="x")
    await visitor.say("hello", client_message_id="x")  # same client id, other session

    assert len((await visitor.history())["messages"]) == 2
    assert all("€" not in m["text"] for m in (await visitor.history())["messages"])


async def test_bad_inputs_get_clear_4xx_errors(http: httpx.AsyncClient) -> None:
    maria = await open_webchat(http, "cus_maria")
    post = "/api/webchat/messages"

    cases = [
        ({"text": "", "client_message_id": "a"}, maria.auth, 422, "text"),
        ({"text": "   ", "client_message_id": "a"}, maria.auth, 422, "text"),
        ({"text": "x" * 4001, "client_message_id": "a"}, maria.auth, 422, "text"),
        ({"client_message_id": "a"}, maria.auth, 422, "text"),
        ({"text": "hi"}, maria.auth, 422, "client_message_id"),
        ({"text": "hi", "client_message_id": "a"}, {"Authorization": "Bearer nope"}, 401, "token"),
        ({"text": "hi", "client_message_id": "a"}, {}, 401, "token"),
    ]
    for body, headers, status, mentions in cases:
        response = await http.post(post, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert mentions in response.json()["error"], response.text

    broken = await http.post(
        post, content=b"{not json", headers={**maria.auth, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422
    assert "JSON" in broken.json()["error"]

    assert (
        await http.get("/api/webchat/messages", params={"after": -1}, headers=maria.auth)
    ).status_code == 422
    assert (
        await http.post("/api/webchat/sessions", json={"user_id": "cus_maria"})
    ).status_code == 400
    assert len((await maria.history())["messages"]) == 0  # nothing was stored


async def test_exactly_4000_characters_is_accepted(http: httpx.AsyncClient) -> None:
    visitor = await open_webchat(http)
    turn = await visitor.say("where is my order " + "x" * (4000 - 18))
    assert turn["replies"]


async def test_admin_api_needs_the_token(http: httpx.AsyncClient) -> None:
    assert (
        await http.get("/api/admin/tickets", params={"customer": "cus_maria"})
    ).status_code == 401
    wrong = {"Authorization": "Bearer wrong"}
    assert (await http.get("/api/admin/conversations/1", headers=wrong)).status_code == 401


async def test_health_readiness_and_metrics(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).json() == {"status": "ready"}
    visitor = await open_webchat(http)
    await visitor.say("hello")
    metrics = (await http.get("/metrics")).text
    assert "switchboard_turns_total" in metrics
