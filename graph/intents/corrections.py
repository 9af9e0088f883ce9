"""Learning from staff: fold intent corrections into the training set, and show on a
held-out part of the corrections whether that helped (`switchboard intents retrain`).

Storing corrections (admin API, Slack handoff thread) is the storage layer's job; this
module takes them as (text, intent) pairs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from graph.intents.classifier import IntentClassifier
from graph.intents.embedding import MODEL_ID
from graph.intents.evaluate import EvalReport, evaluate
from graph.intents.fitting import train_classifier


@dataclass(frozen=True)
class RetrainReport:
    """`before`/`after`: the model without / with the training part of the corrections,
    both scored on the same held-out corrections; `classifier` is trained on everything."""

    classifier: IntentClassifier
    corrections: int
    before: EvalReport | None
    after: EvalReport | None


def fold_in(
    texts: Sequence[str], labels: Sequence[str], corrections: Sequence[tuple[str, str]]
) -> tuple[list[str], list[str]]:
    """The base examples with the corrections folded in: a corrected text takes the label
    of its last correction, in place of any base example with the same text. This is the
    set the retrained model learns from (and the engine's cached model is keyed by)."""
    corrected = dict(corrections)
    pairs = [(t, y) for t, y in zip(texts, labels, strict=True) if t not in corrected]
    pairs += corrected.items()
    return [t for t, _ in pairs], [y for _, y in pairs]


def retrain_with_corrections(
    texts: Sequence[str],
    labels: Sequence[str],
    corrections: Sequence[tuple[str, str]],
    *,
    held_out_share: float = 0.3,
    seed: int = 0,
    method: str = "auto",
    encoder: str = MODEL_ID,
) -> RetrainReport:
    """Train on the base examples plus staff corrections (a correction of a text that is
    also a base example overrides its label)."""
    corrected = dict(corrections)
    base = [(t, y) for t, y in zip(texts, labels, strict=True) if t not in corrected]
    pairs = list(corrected.items())
    before = after = None
    held_out_count = int(len(pairs) * held_out_share)
    if held_out_count >= 1:
        shuffled = random.Random(seed).sample(pairs, len(pairs))
        held_out, learn = shuffled[:held_out_count], shuffled[held_out_count:]
        check_texts, check_labels = [t for t, _ in held_out], [y for _, y in held_out]
        old = train_classifier(
            [t for t, _ in base], [y for _, y in base], method=method, encoder=encoder
        )
        before = evaluate(old, check_texts, check_labels)
        merged = base + learn
        new = train_classifier(
            [t for t, _ in merged], [y for _, y in merged], method=method, encoder=encoder
        )
        after = evaluate(new, check_texts, check_labels)
    classifier = train_classifier(
        *fold_in(texts, labels, corrections), method=method, encoder=encoder
    )
    return RetrainReport(classifier, len(pairs), before, after)


def format_retrain_report(report: RetrainReport) -> str:
    lines = [f"corrections folded in: {report.corrections}"]
    if report.before is None or report.after is None:
        lines.append("too few corrections to hold some out; no before/after figures")
        return "\n".join(lines)
    lines += [
        f"held-out corrections: {report.before.examples}",
        f"accuracy before: {report.before.accuracy:.1%}   after: {report.after.accuracy:.1%}",
        f"macro-F1 before: {report.before.macro_f1:.1%}   after: {report.after.macro_f1:.1%}",
    ]
    return "\n".join(lines)
