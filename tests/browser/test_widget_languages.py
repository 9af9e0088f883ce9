"""The widget on a Spanish page: its own words in Spanish, the page's language sent as
the hint for a short first message, and the bot's buttons working in Spanish."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.responses import HTMLResponse
from playwright.async_api import expect

from tests.support.server import LiveServer

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html lang="%s"><head><meta charset="utf-8"><title>Una tienda</title></head>
<body><h1>Ayuda</h1>
<script src="/widget.js"></script>
<script>SwitchboardWidget.init(%s);</script>
</body></html>"""


async def visit(page: Any, server: LiveServer, lang: str, **config: Any) -> None:
    html = PAGE % (lang, json.dumps({"title": "Acme", **config}))
    path = f"/pagina/{len(server.app.routes)}"

    async def site() -> HTMLResponse:
        return HTMLResponse(html)

    server.app.add_api_route(path, site, include_in_schema=False)
    await page.goto(server.url + path)


async def test_a_spanish_page_gets_a_spanish_widget_and_bot(server: LiveServer, page: Any) -> None:
    await server.add_staff()
    await visit(page, server, "es-ES", greeting={"en": "Hi!", "es": "¡Hola! ¿En qué te ayudo?"})
    await page.get_by_role("button", name="Abrir el chat de soporte").click()
    box = page.get_by_role("textbox", name="Mensaje")
    await expect(box).to_have_attribute("placeholder", "Escribe tu mensaje…")
    await expect(page.get_by_role("button", name="Enviar mensaje")).to_have_text("Enviar")
    await expect(page.locator(".status")).to_contain_text("Asistente virtual")
    await expect(page.locator(".msg-bot .bubble").first).to_have_text("¡Hola! ¿En qué te ayudo?")

    await box.fill("hola")
    async with page.expect_request(
        lambda r: r.url.endswith("/api/webchat/messages") and r.method == "POST"
    ) as sent:
        await box.press("Enter")
    assert (await sent.value).post_data_json["locale"] == "es-ES"
    # Too short to tell its language: the page's is the hint, so the menu is Spanish.
    quick = page.get_by_role("group", name="Respuestas sugeridas")
    person = quick.get_by_role("button", name="Hablar con una persona")
    await expect(person).to_be_visible()
    await expect(page.locator(".msg-bot .bubble").last).to_contain_text("¡Hola!")

    async with page.expect_response(lambda r: r.request.method == "POST") as answer:
        await person.click()
    turn = await (await answer.value).json()
    assert turn["mode"] == "human"  # the Spanish button works as "Talk to a person"
    await expect(page.locator(".msg-bot .bubble").last).to_contain_text(
        "Te estoy poniendo en contacto con una persona de nuestro equipo"
    )
    await expect(page.locator(".status")).to_contain_text("Esperando a una persona")


async def test_a_page_in_a_language_not_shipped_gets_the_default(
    server: LiveServer, page: Any
) -> None:
    await visit(page, server, "pt-BR")
    await expect(page.get_by_role("button", name="Open support chat")).to_be_visible()
    await expect(page.locator("#switchboard-widget")).to_have_attribute("lang", "en")


async def test_the_configured_language_wins_over_the_page(server: LiveServer, page: Any) -> None:
    await visit(page, server, "en", language="de")
    await page.get_by_role("button", name="Support-Chat öffnen").click()
    await expect(page.get_by_role("textbox", name="Nachricht")).to_have_attribute(
        "placeholder", "Nachricht eingeben…"
    )
