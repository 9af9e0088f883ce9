"""The intent classifier on the policy-sized data it is trained on at every start."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.intents import IntentClassifier, IntentPrediction, train_classifier

EXAMPLES = {
    "billing_issue": [
        "My payment failed twice, but I was still charged",
        "I was charged twice for the same order",
        "there is a double charge on my card",
        "my card was declined but the money was taken",
        "why did you charge me two times",
        "I see a duplicate charge from you",
        "you took my money twice",
        "there's an unexpected charge on my credit card",
        "incorrect amount charged to my account",
        "payment problem",
    ],
    "refund_request": [
        "I want a refund",
        "can I get my money back",
        "please refund my order",
        "I'd like to return this and get a refund",
        "refund me please",
        "I want to cancel and be refunded",
        "give me my money back for the broken item",
        "when will I receive my refund",
        "the product was damaged, I need a refund",
        "how do I request a refund for order 1042",
    ],
    "order_status": [
        "where is my order",
        "has my order shipped yet",
        "what's the status of order 1042",
        "when will my package arrive",
        "track my order",
        "my delivery is late",
        "I haven't received my parcel",
        "can you give me the tracking number",
        "is order 2001 on its way",
        "how long until my order gets here",
    ],
    "greeting": [
        "hi",
        "hello there",
        "good morning",
        "hey",
        "hello, anyone there?",
        "hi team",
        "good evening",
        "hey there, how are you",
        "greetings",
        "yo",
    ],
    "handoff": [
        "I want to talk to a human",
        "let me speak to a real person",
        "connect me to an agent",
        "can I talk to someone from support",
        "get me a person please",
        "I need a human, not a bot",
        "transfer me to customer service",
        "is there a real person I can talk to",
        "speak to a manager",
        "operator please",
    ],
}
TEXTS = [t for examples in EXAMPLES.values() for t in examples]
LABELS = [intent for intent, examples in EXAMPLES.items() for _ in examples]


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return train_classifier(TEXTS, LABELS)


def test_trains_on_policy_sized_data() -> None:
    # Training time is measured in bench/intents, not asserted here (the suite shares the
    # machine with other work; timed assertions would only be flaky).
    trained = train_classifier(TEXTS, LABELS)
    assert set(trained.intents) == set(EXAMPLES)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I've been charged two times for one purchase", "billing_issue"),
        ("where's my parcel, it hasn't arrived", "order_status"),
        ("I would like my money back please", "refund_request"),
        ("hello!", "greeting"),
        ("please let me talk to a human being", "handoff"),
    ],
)
def test_recognises_unseen_phrasings(classifier: IntentClassifier, text: str, intent: str) -> None:
    prediction = classifier.predict(text)
    assert isinstance(prediction, IntentPrediction)
    assert prediction.intent == intent
    assert prediction.ranking[0] == (prediction.intent, prediction.confidence)


def test_gibberish_and_unrelated_text_get_low_confidence(classifier: IntentClassifier) -> None:
    in_scope = classifier.predict("I was charged twice for my order").confidence
    for text in ["qwzx vbnm plkj", "how many moons does jupiter have", "asdf"]:
        assert classifier.predict(text).confidence < min(0.5, in_scope)


def test_confidences_are_probabilities(classifier: IntentClassifier) -> None:
    prediction = classifier.predict("refund please")
    assert 0.0 < prediction.confidence <= 1.0
    assert [p for _, p in prediction.ranking] == sorted(
        (p for _, p in prediction.ranking), reverse=True
    )


def test_single_and_batch_prediction_agree(classifier: IntentClassifier) -> None:
    texts = ["track my parcel", "double charge", "hey", "zzzz", ""]
    batch = classifier.predict_many(texts)
    for text, together in zip(texts, batch, strict=True):
        alone = classifier.predict(text)
        assert alone.intent == together.intent
        assert alone.confidence == pytest.approx(together.confidence, abs=1e-4)


def test_save_and_load_round_trip(classifier: IntentClassifier, tmp_path: Path) -> None:
    path = tmp_path / "intents.npz"
    classifier.save(path)
    loaded = IntentClassifier.load(path)
    assert loaded.intents == classifier.intents
    for text in ["where is my order", "I was billed twice", "hi"]:
        assert loaded.predict(text).intent == classifier.predict(text).intent
        assert loaded.predict(text).confidence == pytest.approx(
            classifier.predict(text).confidence, abs=1e-2
        )


def test_load_refuses_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    import numpy as np

    np.savez(path, meta=np.array('{"format": "something-else"}'))
    with pytest.raises(ValueError, match="not a switchboard intent model"):
        IntentClassifier.load(path)


def test_needs_two_intents() -> None:
    with pytest.raises(ValueError, match="two intents"):
        train_classifier(["a", "b"], ["x", "x"])
