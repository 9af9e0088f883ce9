"""Local intent classification: trained from examples, no network, sub-millisecond."""

from graph.intents.classifier import IntentClassifier, IntentPrediction, train_classifier

__all__ = ["IntentClassifier", "IntentPrediction", "train_classifier"]
