"""Local intent classification: trained from examples, no network, sub-millisecond.

Contract: `train_classifier(texts, labels)` returns an `IntentClassifier` whose
`predict(text)` gives an `IntentPrediction` with a calibrated confidence; the policy
threshold on that confidence decides whether a workflow may take the turn.
"""

from graph.intents.classifier import IntentClassifier, IntentPrediction
from graph.intents.evaluate import EvalReport, evaluate, format_report
from graph.intents.fitting import train_classifier
from graph.intents.training import evaluate_file, read_examples, train_from_file

__all__ = [
    "EvalReport",
    "IntentClassifier",
    "IntentPrediction",
    "evaluate",
    "evaluate_file",
    "format_report",
    "read_examples",
    "train_classifier",
    "train_from_file",
]
