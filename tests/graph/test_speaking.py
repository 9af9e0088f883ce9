"""A conversation in Spanish, through the real engine: every fixed text the code says
(the greeting and its menu, clarify, the guard's refusal, the handoff, the rating's
thanks) comes from the Spanish catalogue, and the Spanish buttons work as the English
ones do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import make_settings
from tests.graph.conftest import PolicyFile
from tests.graph.conversation import Customer

Starter = Callable[..., Any]
MENU = ["Un problema con un pago", "¿Dónde está mi pedido?", "Hablar con una persona"]


async def test_a_spanish_customer_hears_every_fixed_text_in_spanish(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(policy_file()))
    async with open_app(settings) as runtime:
        ana = Customer(runtime, "cus_maria", locale="es-ES")
        hello = await ana.say("hola")  # too short to tell: the browser's language decides
        assert hello.said.startswith("¡Hola, Maria! Soy el asistente de atención al cliente")
        assert hello.buttons == MENU

        unclear = await ana.say("xqzv plorf")
        assert unclear.route == "workflow:clarify"
        assert unclear.said.startswith("Perdona, no estoy seguro de haberte entendido.")
        assert unclear.buttons == MENU
        again = await ana.say("zzkw")
        assert again.said.startswith("Lo siento, sigo sin saber cómo ayudarte con eso.")
        assert again.buttons == ["Hablar con una persona", "No, gracias"]
        declined = await ana.say("No, gracias")  # the button: read as "No thanks"
        assert declined.said == "¡De nada! Si surge cualquier otra cosa, escríbeme aquí."

        empty = await ana.say("")
        assert empty.route == "guard:empty"
        assert empty.said == "Por ahora solo puedo leer texto. Escribe tu pregunta, por favor."

        person = await ana.say("Hablar con una persona")
        assert person.route == "human"  # the Spanish button works as "Talk to a person"
        assert "No puedo ponerte en contacto con una persona en este chat" in person.said


async def test_spanish_menu_and_rating_buttons_work_like_the_english_ones(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(policy_file()))
    async with open_app(settings) as runtime:
        ana = Customer(runtime, "cus_maria", locale="es")
        await ana.say("hola")
        order = await ana.say("¿Dónde está mi pedido?")
        assert order.route == "workflow:order_status"
        assert "#1042" in order.said

        done = await ana.say("Me ha servido, gracias")  # "That helped, thanks"
        assert done.buttons == ["1", "2", "3", "4", "5"]
        rated = await ana.say("5")
        assert rated.said == "¡Gracias! ¿Quieres añadir algo? (opcional)"
        assert rated.buttons == ["Sin comentarios"]
        ended = await ana.say("Sin comentarios")  # "No comment": nothing stored as one
        assert ended.said == "¡Gracias de nuevo y que tengas un buen día!"


async def test_an_english_customer_still_hears_english(
    database_url: str, policy_file: PolicyFile, open_app: Starter
) -> None:
    settings = make_settings(database_url, SWITCHBOARD_POLICY=str(policy_file()))
    async with open_app(settings) as runtime:
        sam = Customer(runtime, "cus_sam", locale="es-ES")
        # A Spanish browser, an English sentence: the sentence decides.
        answer = await sam.say("Hello, I have a question about my account please")
        assert answer.said.startswith("From our help centre, ")
        assert answer.buttons == ["That helped, thanks", "Talk to a person"]
