"""The demo policy's classifier in the five languages it speaks, on messages written for
this test (none of them a policy example), and its encoder kept across save and load."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.intents import IntentClassifier, train_classifier
from graph.intents.embedding import USE_MULTILINGUAL, encoder_for
from graph.policy import Policy, load_policy

POLICY = Path(__file__).resolve().parents[3] / "switchboard" / "default_policy.yaml"

MESSAGES = [
    ("me han cobrado el doble por la misma compra", "billing_issue"),
    ("¿dónde está mi paquete? todavía no ha llegado", "order_status"),
    ("quiero devolver esto y que me devuelvan el dinero", "refund_request"),
    ("meine Karte wurde zweimal belastet, obwohl die Zahlung fehlschlug", "billing_issue"),
    ("wann kommt meine Lieferung endlich an?", "order_status"),
    ("ich möchte mein Geld für die kaputte Ware zurück", "refund_request"),
    ("on m'a prélevé deux fois le même montant", "billing_issue"),
    ("ma commande n'est toujours pas arrivée, où en est-elle ?", "order_status"),
    ("je voudrais être remboursé pour cet article abîmé", "refund_request"),
    ("mi avete addebitato due volte lo stesso ordine", "billing_issue"),
    ("il mio pacco non è ancora arrivato, dove si trova?", "order_status"),
    ("vorrei il rimborso per il prodotto rotto", "refund_request"),
]


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(POLICY)


@pytest.fixture(scope="module")
def classifier(policy: Policy) -> IntentClassifier:
    texts, labels = policy.training_data()
    return train_classifier(texts, labels, encoder=encoder_for(policy.languages))


def test_the_messages_are_not_policy_examples(policy: Policy) -> None:
    examples = {text.casefold() for text in policy.training_data()[0]}
    assert not examples & {text.casefold() for text, _ in MESSAGES}


@pytest.mark.parametrize(("text", "intent"), MESSAGES)
def test_recognises_unseen_messages_in_each_language(
    classifier: IntentClassifier, text: str, intent: str
) -> None:
    assert classifier.predict(text).intent == intent


def test_the_multilingual_encoder_survives_save_and_load(
    classifier: IntentClassifier, tmp_path: Path
) -> None:
    assert classifier.encoder_id == USE_MULTILINGUAL
    classifier.save(tmp_path / "model.npz")
    loaded = IntentClassifier.load(tmp_path / "model.npz")
    assert loaded.encoder_id == USE_MULTILINGUAL
    texts = [text for text, _ in MESSAGES]
    assert [p.intent for p in loaded.predict_many(texts)] == [
        p.intent for p in classifier.predict_many(texts)
    ]
