"""The model answers in the conversation's language: told so by name, and a reply in
another language is asked for again once, then replaced by a fixed text in the right one.
Against the scripted OpenAI-compatible server, through the real web chat API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from graph.guardrails import check_language
from tests.conftest import open_webchat
from tests.graph.test_agent import OTHER, _trace, classifying, small_talk, start, write_policy
from tests.support.databases import DatabaseFactory
from tests.support.fake_openai import Call, Calls, FakeOpenAI, Say
from tests.support.server import LiveServer

UNSURE_ES = "la factura y el extracto de mi tarjeta no cuadran, no entiendo qué ha pasado"
CHARGES = Calls([Call("payments__list_charges", {}), Call("payments__find_duplicates", {})])
ENGLISH = "I found order #1042 charged twice at €59.90. Would you like a refund of one charge?"
SPANISH = (
    "He encontrado el pedido #1042 cobrado dos veces por €59.90. "
    "¿Quieres que te devuelva uno de los cargos?"
)


@pytest.fixture
async def http(
    sqlite_databases: DatabaseFactory, fake_llm: FakeOpenAI, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    server: LiveServer
    async with await start(sqlite_databases, fake_llm, write_policy(tmp_path)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            yield client


def system_prompt(body: dict) -> str:
    return " ".join(str(m.get("content")) for m in body["messages"] if m["role"] == "system")


async def test_the_agent_is_told_the_language_and_an_english_answer_is_asked_again(
    http: httpx.AsyncClient, fake_llm: FakeOpenAI, admin_headers: dict[str, str]
) -> None:
    fake_llm.queue(OTHER, CHARGES, Say(ENGLISH), Say(SPANISH))
    turn = await (await open_webchat(http, "cus_maria")).say(UNSURE_ES)

    assert turn["replies"][0]["text"] == SPANISH
    agent_calls = [body for body in fake_llm.requests if not classifying(body)]
    assert "Always answer in Spanish" in system_prompt(agent_calls[0])
    assert "in Spanish" in system_prompt(fake_llm.requests[0])  # the small-talk reply too
    retry = agent_calls[-1]["messages"][-1]
    assert retry["role"] == "user" and "again, in Spanish" in retry["content"]
    [trace] = await _trace(http, admin_headers, turn["conversation_id"])
    assert "guardrail:retry:reply in en, not es" in trace["node_path"]
    assert trace["language"] == "es"


async def test_an_answer_twice_in_the_wrong_language_is_never_shown(
    http: httpx.AsyncClient, fake_llm: FakeOpenAI, admin_headers: dict[str, str]
) -> None:
    fake_llm.queue(OTHER, CHARGES, Say(ENGLISH), Say(ENGLISH))
    turn = await (await open_webchat(http, "cus_maria")).say(UNSURE_ES)

    text = turn["replies"][0]["text"]
    assert "found order" not in text
    assert text.startswith("Quiero asegurarme de que recibas una respuesta correcta")
    [trace] = await _trace(http, admin_headers, turn["conversation_id"])
    assert "guardrail:reply in en, not es" in trace["node_path"]


async def test_small_talk_in_the_wrong_language_becomes_a_fixed_text_in_the_right_one(
    http: httpx.AsyncClient, fake_llm: FakeOpenAI, admin_headers: dict[str, str]
) -> None:
    fake_llm.queue(small_talk("Good morning! I'm happy to help you with payments and orders."))
    turn = await (await open_webchat(http, "cus_maria")).say(
        "muy buenos días, qué tal estáis hoy por ahí"
    )

    text = turn["replies"][0]["text"]
    assert "Good morning" not in text
    assert text.startswith("Perdona, no estoy seguro de haberte entendido")
    [trace] = await _trace(http, admin_headers, turn["conversation_id"])
    assert "guardrail:reply in en, not es" in trace["node_path"]


@pytest.mark.parametrize(
    ("reply", "customer", "ok"),
    [
        ("¡Claro! Encantado de ayudarte con tu pedido.", "", True),
        ("Of course, I am happy to help you with your order.", "", False),
        ("OK, Maria!", "", True),  # too short to tell
        ("Goedemorgen! Ik help je graag met betalingen en bestellingen.", "Goedemorgen", True),
        ("Guten Morgen! Ich helfe dir gern bei Zahlungen und Bestellungen.", "", False),
    ],
)
def test_check_language(reply: str, customer: str, ok: bool) -> None:
    verdict = check_language(
        reply, language="es", languages=["en", "es", "de"], customer_text=customer
    )
    assert verdict.ok is ok, verdict.reason
