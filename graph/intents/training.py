"""File-level training and evaluation, the functions behind `switchboard intents train`
and `switchboard intents eval` (the CLI only parses arguments and prints)."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

from graph.intents.classifier import IntentClassifier
from graph.intents.evaluate import EvalReport, evaluate
from graph.intents.fitting import train_classifier


class ExamplesFileError(ValueError):
    """The CSV is unreadable or lacks the `text` and `category` columns."""


def read_examples(path: Path) -> tuple[list[str], list[str]]:
    """(texts, intents) from a CSV with a header `text,category` (banking77's layout;
    `intent` or `label` are accepted for the second column)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        label_field = next((f for f in ("category", "intent", "label") if f in fields), None)
        if "text" not in fields or label_field is None:
            raise ExamplesFileError(f"{path}: needs columns text,category (has {fields})")
        rows = [(r["text"], r[label_field]) for r in reader if r["text"] and r[label_field]]
    return [t for t, _ in rows], [y for _, y in rows]


@dataclass(frozen=True)
class TrainResult:
    classifier: IntentClassifier
    examples: int
    train_seconds: float


def train_from_file(data: Path, out: Path | None = None) -> TrainResult:
    """Train on a CSV and, when `out` is given, save the model there."""
    texts, labels = read_examples(data)
    start = time.perf_counter()
    classifier = train_classifier(texts, labels)
    seconds = time.perf_counter() - start
    if out is not None:
        classifier.save(out)
    return TrainResult(classifier, len(texts), seconds)


def evaluate_file(model: Path, data: Path) -> EvalReport:
    """Score a saved model on a labelled CSV (rows labelled `oos` feed the OOS curve)."""
    texts, labels = read_examples(data)
    return evaluate(IntentClassifier.load(model), texts, labels)
