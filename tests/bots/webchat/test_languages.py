"""The web chat API and the widget script in other languages: the page's locale is taken
(and checked) with each message, and the widget's own words come from the catalogues."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import open_webchat


async def test_the_locale_is_the_hint_for_a_short_first_message(http: httpx.AsyncClient) -> None:
    visitor = await open_webchat(http)
    sent = await http.post(
        "/api/webchat/messages",
        json={"text": "hola", "client_message_id": uuid.uuid4().hex, "locale": "es-ES"},
        headers=visitor.auth,
    )
    assert sent.status_code == 200, sent.text
    [greeting] = sent.json()["replies"]
    assert greeting["text"].startswith("¡Hola! Soy el asistente")
    assert "Hablar con una persona" in greeting["quick_replies"]


async def test_a_malformed_locale_is_refused_and_names_the_field(http: httpx.AsyncClient) -> None:
    visitor = await open_webchat(http)
    for locale in ["<script>", "e", "es-ES-" + "x" * 40]:
        sent = await http.post(
            "/api/webchat/messages",
            json={"text": "hola", "client_message_id": uuid.uuid4().hex, "locale": locale},
            headers=visitor.auth,
        )
        assert sent.status_code == 422, (locale, sent.text)
        assert "locale" in sent.text


async def test_the_widgets_strings_per_language(http: httpx.AsyncClient) -> None:
    spanish = (await http.get("/api/webchat/strings", params={"language": "es-MX"})).json()
    assert spanish["language"] == "es"
    assert spanish["strings"]["Send"] == "Enviar"
    assert spanish["strings"]["Type your message…"] == "Escribe tu mensaje…"
    other = (await http.get("/api/webchat/strings", params={"language": "pt-BR"})).json()
    assert other["language"] == "en" and other["strings"]["Send"] == "Send"

    script = (await http.get("/widget.js")).text
    assert "/*SWITCHBOARD_WIDGET_STRINGS*/" not in script  # filled in by the server
    assert "Escribe tu mensaje…" in script and "Nachricht eingeben…" in script
