"""Measuring a classifier: accuracy, macro-F1, per-intent figures, the most frequent
confusions, speed, and the out-of-scope trade-off.

Plain functions returning dataclasses, so the CLI (`switchboard intents eval`), the
benchmark (`python -m bench.intents`) and the tests share one definition of each number.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from graph.intents.classifier import OUT_OF_SCOPE_LABELS, IntentClassifier

DEFAULT_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class OutOfScopePoint:
    """At one confidence threshold: in-scope accuracy counts a turn that falls below the
    threshold as wrong (it is sent to clarify); out-of-scope recall is the share of
    out-of-scope turns that fall below it (CLINC150's two measures)."""

    threshold: float
    in_scope_accuracy: float
    out_of_scope_recall: float


@dataclass(frozen=True)
class EvalReport:
    examples: int
    accuracy: float
    macro_f1: float
    per_intent: tuple[IntentScore, ...]
    confusions: tuple[tuple[str, str, int], ...]
    predictions_per_second: float
    single_prediction_ms: float
    train_seconds: float | None = None
    out_of_scope: tuple[OutOfScopePoint, ...] = field(default=())


def _per_intent(truth: Sequence[str], predicted: Sequence[str]) -> tuple[IntentScore, ...]:
    pairs = Counter(zip(truth, predicted, strict=True))
    support = Counter(truth)
    chosen = Counter(predicted)
    scores = []
    for intent in sorted(support):
        hits = pairs[(intent, intent)]
        precision = hits / chosen[intent] if chosen[intent] else 0.0
        recall = hits / support[intent]
        f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
        scores.append(IntentScore(intent, precision, recall, f1, support[intent]))
    return tuple(scores)


def out_of_scope_curve(
    in_scope_confidence: np.ndarray,
    in_scope_correct: np.ndarray,
    out_of_scope_confidence: np.ndarray,
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
) -> tuple[OutOfScopePoint, ...]:
    points = []
    for threshold in thresholds:
        accepted = in_scope_confidence >= threshold
        accuracy = float(np.mean(accepted & in_scope_correct)) if len(accepted) else 0.0
        recall = (
            float(np.mean(out_of_scope_confidence < threshold))
            if len(out_of_scope_confidence)
            else 0.0
        )
        points.append(OutOfScopePoint(threshold, accuracy, recall))
    return tuple(points)


def _single_prediction_ms(classifier: IntentClassifier, texts: Sequence[str]) -> float:
    sample = list(texts[:300]) or ["hello"]
    start = time.perf_counter()
    for text in sample:
        classifier.predict(text)
    return (time.perf_counter() - start) / len(sample) * 1000.0


def evaluate(
    classifier: IntentClassifier,
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    train_seconds: float | None = None,
    out_of_scope_texts: Sequence[str] = (),
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
) -> EvalReport:
    """Score `classifier` on labelled texts. Rows labelled with an out-of-scope label
    (`oos`, …) and `out_of_scope_texts` feed the out-of-scope curve, not the accuracy."""
    in_texts = [
        t for t, y in zip(texts, labels, strict=True) if y.lower() not in OUT_OF_SCOPE_LABELS
    ]
    in_labels = [y for y in labels if y.lower() not in OUT_OF_SCOPE_LABELS]
    oos_texts = [t for t, y in zip(texts, labels, strict=True) if y.lower() in OUT_OF_SCOPE_LABELS]
    oos_texts.extend(out_of_scope_texts)

    start = time.perf_counter()
    predictions = classifier.predict_many(in_texts)
    batch_seconds = time.perf_counter() - start
    predicted = [p.intent for p in predictions]
    per_intent = _per_intent(in_labels, predicted)
    confusions = Counter((y, p) for y, p in zip(in_labels, predicted, strict=True) if y != p)

    curve: tuple[OutOfScopePoint, ...] = ()
    if oos_texts:
        curve = out_of_scope_curve(
            np.array([p.confidence for p in predictions]),
            np.array([p == y for p, y in zip(predicted, in_labels, strict=True)]),
            np.array([p.confidence for p in classifier.predict_many(oos_texts)]),
            thresholds,
        )
    return EvalReport(
        examples=len(in_texts),
        accuracy=float(np.mean([p == y for p, y in zip(predicted, in_labels, strict=True)])),
        macro_f1=float(np.mean([s.f1 for s in per_intent])),
        per_intent=per_intent,
        confusions=tuple((y, p, n) for (y, p), n in confusions.most_common(15)),
        predictions_per_second=len(in_texts) / batch_seconds if batch_seconds else 0.0,
        single_prediction_ms=_single_prediction_ms(classifier, in_texts),
        train_seconds=train_seconds,
        out_of_scope=curve,
    )


def format_report(report: EvalReport, *, per_intent: bool = True) -> str:
    """The report as plain text for a terminal."""
    lines = [
        f"examples            {report.examples}",
        f"accuracy            {report.accuracy:.2%}",
        f"macro-F1            {report.macro_f1:.2%}",
    ]
    if report.train_seconds is not None:
        lines.append(f"training            {report.train_seconds:.1f} s")
    lines += [
        f"predictions/s       {report.predictions_per_second:,.0f} (batch)",
        f"single prediction   {report.single_prediction_ms:.3f} ms",
    ]
    if per_intent:
        lines += ["", f"{'intent':<40} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}"]
        for s in sorted(report.per_intent, key=lambda s: s.f1):
            lines.append(
                f"{s.intent:<40} {s.precision:6.1%} {s.recall:6.1%} {s.f1:6.1%} {s.support:5d}"
            )
    if report.confusions:
        lines += ["", "most frequent confusions (true → predicted: count)"]
        lines += [f"  {y} → {p}: {n}" for y, p, n in report.confusions]
    if report.out_of_scope:
        lines += ["", "out of scope: threshold  in-scope accuracy  out-of-scope recall"]
        lines += [
            f"                {pt.threshold:8.2f}  {pt.in_scope_accuracy:16.1%}"
            f"  {pt.out_of_scope_recall:19.1%}"
            for pt in report.out_of_scope
        ]
    return "\n".join(lines)
