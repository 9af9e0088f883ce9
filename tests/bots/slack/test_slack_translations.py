"""Staff read a Spanish customer in English too: the handoff card's transcript, the
messages relayed into its thread and the console show a translation under the original,
made by one model call per message and stored; a failed one shows the original only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.settings import Settings
from tests.bots.slack.conftest import SUPPORT, handoff_card, slack_settings
from tests.conftest import open_webchat
from tests.support.fake_openai import Call, Fail, FakeOpenAI, Say, Step, run_fake_openai
from tests.support.fake_slack import FakeSlack

ASK_PERSON = "Hola, quiero hablar con una persona de vuestro equipo, por favor"
PARCEL = "Mi paquete nunca llegó, el pedido 1042 sigue sin aparecer"
TRANSLATED = {
    ASK_PERSON: "Hello, I would like to talk to a person from your team, please",
    PARCEL: "My parcel never arrived, order 1042 still has not turned up",
}


def translating(body: dict[str, Any]) -> bool:
    return any(
        "Translate the customer's message" in str(m.get("content")) for m in body["messages"]
    )


def translations_asked(fake: FakeOpenAI) -> list[str]:
    return [str(b["messages"][-1]["content"]) for b in fake.requests if translating(b)]


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeOpenAI]:
    async with run_fake_openai() as fake:

        def respond(body: dict[str, Any]) -> Step:
            if translating(body):
                said = str(body["messages"][-1]["content"])
                return Fail(500) if said == "¿Hola?" else Say(TRANSLATED.get(said, "?"))
            analysis = {"intent": "human_handoff", "flags": ["asks_for_person"]}
            return Call(
                "MessageAnalysis", {**analysis, "urgency": "normal", "sentiment": "neutral"}
            )

        fake.responder = respond
        yield fake


@pytest.fixture
def settings(
    database_url: str, fake_slack: FakeSlack, approver_policy: Path, fake_llm: FakeOpenAI
) -> Settings:
    return slack_settings(
        database_url,
        fake_slack,
        approver_policy,
        SWITCHBOARD_LLM_MODEL="fake-model",
        SWITCHBOARD_LLM_BASE_URL=fake_llm.url,
        OPENAI_API_KEY="sk-test",
    )


async def test_staff_see_the_spanish_customer_in_english_beside_the_original(
    http: httpx.AsyncClient,
    fake_slack: FakeSlack,
    fake_llm: FakeOpenAI,
    admin_headers: dict[str, str],
) -> None:
    maria = await open_webchat(http, "cus_maria")
    turn = await maria.say(ASK_PERSON)
    assert turn["mode"] == "human"

    ts = await handoff_card(fake_slack)
    card = fake_slack.text_of(SUPPORT, ts)
    assert ASK_PERSON in card and TRANSLATED[ASK_PERSON] in card  # original and English

    await maria.say(PARCEL)
    relayed = await fake_slack.wait_for(
        lambda: [
            c for c in fake_slack.posted(channel=SUPPORT, thread_ts=ts) if "1042" in str(c.args)
        ],
        what="the relayed customer message",
    )
    text = relayed[0].args["text"]
    assert PARCEL in text and TRANSLATED[PARCEL] in text

    await maria.say("¿Hola?")  # the model fails: the original alone
    failed = await fake_slack.wait_for(
        lambda: [
            c for c in fake_slack.posted(channel=SUPPORT, thread_ts=ts) if "Hola?" in str(c.args)
        ],
        what="the message whose translation failed",
    )
    assert failed[0].args["text"].endswith("¿Hola?")

    page = await http.get(f"/admin/conversations/{turn['conversation_id']}", headers=admin_headers)
    assert page.status_code == 200
    assert TRANSLATED[PARCEL] in page.text and "Mi paquete nunca llegó" in page.text
    await http.get(f"/admin/conversations/{turn['conversation_id']}", headers=admin_headers)
    # One model call per message, however often it is shown; the failure is not retried.
    asked = translations_asked(fake_llm)
    assert asked.count(ASK_PERSON) == 1 and asked.count(PARCEL) == 1
    assert set(asked) == {ASK_PERSON, PARCEL, "¿Hola?"}  # the failed one: the client's retry
    # The customer's own messages and what they are told stay as they were.
    history = [m["text"] for m in (await maria.history())["messages"]]
    assert PARCEL in history and TRANSLATED[PARCEL] not in history
