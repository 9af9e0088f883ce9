"""The conversation's language, kept through the web chat: detected on a clear message,
kept on short lines, changed when the customer clearly switches, and shown to staff in
the admin API and the console."""

from __future__ import annotations

import httpx

from tests.conftest import open_webchat


async def _detail(
    http: httpx.AsyncClient, conversation_id: int, headers: dict[str, str]
) -> dict[str, object]:
    response = await http.get(f"/api/admin/conversations/{conversation_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_the_language_is_kept_until_the_customer_clearly_switches(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    visitor = await open_webchat(http)
    first = await visitor.say("Hola, ¿dónde está mi pedido? Todavía no ha llegado")
    await visitor.say("ok")
    await visitor.say("1042")
    await visitor.say("Sorry, can we continue in English please?")

    detail = await _detail(http, first["conversation_id"], admin_headers)
    assert detail["conversation"]["language"] == "en"  # type: ignore[index]
    languages = [t["language"] for t in detail["traces"]]  # type: ignore[attr-defined]
    assert languages == ["es", "es", "es", "en"]
    inbound = [m for m in detail["messages"] if m["direction"] == "inbound"]  # type: ignore[attr-defined]
    assert [m["language"] for m in inbound] == ["es", "es", "es", "en"]

    page = await http.get(f"/admin/conversations/{first['conversation_id']}", headers=admin_headers)
    assert page.status_code == 200
    assert "in English" in page.text and "<dt>Language</dt><dd>es</dd>" in page.text


async def test_an_english_conversation_stays_english_on_names_and_numbers(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    visitor = await open_webchat(http)
    first = await visitor.say("Where is my order? It has not arrived")
    for text in ("Samsung Galaxy Buds", "danke", "1042", "Deutsche Bank"):
        await visitor.say(text)
    detail = await _detail(http, first["conversation_id"], admin_headers)
    assert {t["language"] for t in detail["traces"]} == {"en"}  # type: ignore[attr-defined]
