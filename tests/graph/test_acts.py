"""What a message does, read by the dialogue-act model on messages that are not among its
examples (graph/acts.yaml), in the five shipped languages."""

from __future__ import annotations

import pytest

from graph.acts import act_of, training_data
from graph.intents import IntentClassifier, train_classifier
from graph.intents.embedding import encoder_for

LANGUAGES = ["en", "es", "de", "fr", "it"]
MESSAGES = [
    ("how many days does a refund normally need", "question"),
    ("do you deliver on saturdays", "question"),
    ("what's the policy if the parcel is lost", "question"),
    ("¿cómo funciona la garantía?", "question"),
    ("wie lange dauert der Versand normalerweise?", "question"),
    ("please send back the money for order 5520", "request"),
    ("my card was billed but nothing was delivered", "request"),
    ("je veux annuler ma commande 7781", "request"),
    ("oh forget it, it's fine", "cancel"),
    ("no need, I found it myself", "cancel"),
    ("lascia stare, non serve più", "cancel"),
    ("great, cheers, that's everything", "close"),
    ("vielen Dank, das wäre alles", "close"),
    ("anything new on this?", "follow_up"),
    ("still broken", "follow_up"),
    ("¿hay alguna novedad?", "follow_up"),
]


@pytest.fixture(scope="module")
def acts() -> IntentClassifier:
    texts, labels = training_data(LANGUAGES)
    return train_classifier(texts, labels, encoder=encoder_for(LANGUAGES))


def test_the_messages_are_not_examples() -> None:
    examples = {text.casefold() for text in training_data(LANGUAGES)[0]}
    assert not examples & {text.casefold() for text, _ in MESSAGES}


@pytest.mark.parametrize(("text", "act"), MESSAGES)
def test_reads_what_an_unseen_message_does(acts: IntentClassifier, text: str, act: str) -> None:
    assert act_of(acts, text)[0] == act


@pytest.mark.parametrize("text", ["hello", "2001", "the first one", "buongiorno"])
def test_greetings_and_bare_answers_do_nothing(acts: IntentClassifier, text: str) -> None:
    assert act_of(acts, text)[0] is None


def test_no_model_reads_no_act() -> None:
    assert act_of(None, "never mind") == (None, 0.0)


def test_a_policy_adds_its_own_examples() -> None:
    texts, labels = training_data(["en"], {"follow_up": ["is my line fixed yet, engineer?"]})
    assert ("is my line fixed yet, engineer?", "follow_up") in zip(texts, labels, strict=True)
    assert "ciao" not in texts  # only the policy's languages (and English)
