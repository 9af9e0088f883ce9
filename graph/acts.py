"""Dialogue acts: what a message does in the conversation, whatever it is about.

The intent model says what a message is about (a refund, an order); this one says what
it does: asks how something works (`question`), asks us to act on the customer's own
case (`request`), calls off what is in progress (`cancel`), ends the conversation
(`close`) or chases what was just done (`follow_up`). Routing reads both: a question
about refunds goes to the help centre, a request for one to the refund workflow, and
"don't bother, I'll sort it myself" cancels whatever words it uses.

The model is the intent classifier's (n-grams, then the sentence encoder when unsure),
trained on `acts.yaml`'s examples, written for many kinds of business in five languages,
plus the policy's own (`dialogue.acts`). Below `SURE` an act is not taken as said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from graph.intents import IntentClassifier
from graph.policy import ActName as Act
from graph.policy import read_yaml

if TYPE_CHECKING:
    from graph.context import Readings

ACTS: tuple[Act, ...] = get_args(Act)
EXAMPLES = Path(__file__).with_name("acts.yaml")
SURE = 0.5
"""An act this likely is taken as what the message does."""
QUESTION_SURE = 0.7
"""A question leaves the workflow it is about for the help centre only this sure: a
polite request ("can I switch to the annual plan?") is worded like one."""
NONE = "oos"
"""Examples of none of them (greetings, bare answers, small talk): the classifier takes
rows with this label as negatives for every act, never as an act of its own."""


@cache
def _shipped() -> dict[str, dict[str, list[str]]]:
    data = read_yaml(EXAMPLES.read_text(encoding="utf-8"))
    return {act: {lang: list(texts) for lang, texts in data[act].items()} for act in (*ACTS, NONE)}


def training_data(
    languages: Sequence[str], extra: Mapping[Act, Sequence[str]] | None = None
) -> tuple[list[str], list[str]]:
    """The shipped examples in English and the policy's `languages`, then the policy's own
    (`extra`: act -> examples, in any language)."""
    wanted = {"en", *languages}
    texts: list[str] = []
    labels: list[str] = []
    for act, by_language in _shipped().items():  # `none`: negatives for every act
        for language, examples in by_language.items():
            if language in wanted:
                texts.extend(examples)
                labels.extend([act] * len(examples))
    for act, own in (extra or {}).items():
        texts.extend(own)
        labels.extend([act] * len(own))
    return texts, labels


def act_of(
    classifier: IntentClassifier | None, text: str, readings: Readings | None = None
) -> tuple[Act | None, float]:
    """What `text` does, and how likely; None when no act is likely enough (or no model).
    `readings`: the turn's, so a text asked about twice is classified once."""
    if classifier is None or not text.strip():
        return None, 0.0
    prediction = readings.predict(classifier, text) if readings else classifier.predict(text)
    act = next((a for a in ACTS if a == prediction.intent), None)
    if act is None or prediction.confidence < SURE:
        return None, round(prediction.confidence, 4)
    return act, round(prediction.confidence, 4)
