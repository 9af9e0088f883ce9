"""The intent classifier: TF-IDF word + character n-grams into a calibrated linear model.

Trained at start from the policy's examples (or loaded from a file trained on a larger
set with `switchboard intents train`). Confidence is the calibrated probability of the
top intent, so the policy threshold means the same thing for every intent.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()


class IntentClassifier:
    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self.intents: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)

    def predict(self, text: str) -> IntentPrediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        probabilities = self._pipeline.predict_proba(list(texts))
        results = []
        for row in probabilities:
            order = np.argsort(row)[::-1][:3]
            ranking = tuple((self.intents[i], float(row[i])) for i in order)
            results.append(IntentPrediction(ranking[0][0], ranking[0][1], ranking))
        return results

    def save(self, path: Path) -> None:
        path.write_bytes(pickle.dumps(self._pipeline))

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        # Model files are produced by `switchboard intents train` on the operator's own
        # machine; never load one from an untrusted source (pickle).
        return cls(pickle.loads(path.read_bytes()))


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1
                ),
            ),
        ]
    )


def train_classifier(texts: Sequence[str], labels: Sequence[str]) -> IntentClassifier:
    counts = np.unique(np.asarray(labels), return_counts=True)[1]
    folds = int(max(2, min(5, counts.min())))
    model = CalibratedClassifierCV(LinearSVC(C=0.5), cv=folds, method="sigmoid")
    pipeline = Pipeline([("features", _features()), ("model", model)])
    pipeline.fit(list(texts), list(labels))
    return IntentClassifier(pipeline)
