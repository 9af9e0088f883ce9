"""The intent classifier: a fast n-gram model, and a semantic model for the messages it is
unsure about.

Stage one: TF-IDF word + character n-grams into a one-vs-rest linear SVM (~0.15 ms a
message). Stage two, only when stage one's confidence is below `defer_below`: the same
n-grams plus a sentence embedding (MiniLM, or MiniLM and the multilingual USE side by side
for a policy in several languages; see `embedding.py`) into a second linear SVM (~3 ms). On
banking77 stage one is 99% right on the ~70% of messages it is sure of, so the cascade
keeps most of the semantic model's accuracy (94%) at a fraction of its cost.

Confidence is a calibrated probability (see `calibration.py`), so the policy threshold
means the same thing for every intent; below it the turn goes to clarify, the agent or a
person instead of a wrong workflow. Trained at start from the policy's examples, or
loaded from a file made by `switchboard intents train`.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from graph.intents import model_file
from graph.intents.embedding import MODEL_ID, get_encoder
from graph.intents.features import TfidfFeaturizer
from graph.intents.linear import LinearScorer
from graph.intents.model_file import ModelParts

#: Labels that mean "none of our intents" in public data sets (CLINC150 uses `oos`).
OUT_OF_SCOPE_LABELS = frozenset({"oos", "out_of_scope", "out-of-scope", "none", "unknown"})
#: How much the (unit-length) sentence embedding weighs against the (unit-length) n-grams.
EMBEDDING_WEIGHT = 2.0
#: Stage-one confidence below which the semantic stage decides (speed/accuracy knob).
DEFAULT_DEFER_BELOW = 0.8


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()


class IntentClassifier:
    """Fitted featurizer and linear scorers; immutable after training."""

    def __init__(
        self,
        intents: Sequence[str],
        featurizer: TfidfFeaturizer,
        ngram: LinearScorer,
        semantic: LinearScorer | None = None,
        defer_below: float = DEFAULT_DEFER_BELOW,
        encoder_id: str = MODEL_ID,
    ) -> None:
        self.intents: tuple[str, ...] = tuple(intents)
        self.featurizer = featurizer
        self.ngram = ngram
        # Semantic weights: the n-gram rows first, then the embedding rows.
        self.semantic = semantic
        self.defer_below = defer_below
        #: The sentence encoder the semantic weights were trained on (in the model file).
        self.encoder_id = encoder_id

    @property
    def method(self) -> str:
        return f"ngram+{self.encoder_id}" if self.semantic is not None else "ngram"

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated per-intent probabilities, one row per text."""
        features = self.featurizer.transform(texts)
        result = self.ngram.probabilities(
            np.asarray(features @ self.ngram.weights) + self.ngram.bias
        )
        if self.semantic is None:
            return result
        unsure = np.flatnonzero(result.max(axis=1) < self.defer_below)
        if len(unsure):
            vectors = get_encoder(self.encoder_id).encode([texts[int(i)] for i in unsure])
            result[unsure] = self._semantic(features[unsure], vectors)
        return result

    def _semantic(self, features: sparse.csr_matrix, vectors: np.ndarray) -> np.ndarray:
        assert self.semantic is not None
        split = self.featurizer.size
        weights = self.semantic.weights
        scores = (
            np.asarray(features @ weights[:split])
            + EMBEDDING_WEIGHT * vectors @ weights[split:]
            + self.semantic.bias
        )
        return self.semantic.probabilities(scores)

    def predict(
        self, text: str, encodings: MutableMapping[tuple[str, str], np.ndarray] | None = None
    ) -> IntentPrediction:
        """`encodings`: sentence vectors by (encoder, text) to reuse and fill, so models
        sharing an encoder (intents and dialogue acts) encode a text once."""
        columns, values = self.featurizer.transform_one(text)
        weights = np.asarray(values, dtype=np.float32)
        scores = weights @ self.ngram.weights[columns] + self.ngram.bias
        probabilities = self.ngram.probabilities(scores)
        if self.semantic is not None and probabilities.max() < self.defer_below:
            features = sparse.csr_matrix(
                (weights, columns, [0, len(columns)]), shape=(1, self.featurizer.size)
            )
            probabilities = self._semantic(features, self._encode(text, encodings))[0]
        return self._prediction(probabilities)

    def _encode(
        self, text: str, encodings: MutableMapping[tuple[str, str], np.ndarray] | None
    ) -> np.ndarray:
        key = (self.encoder_id, text)
        if encodings is not None and key in encodings:
            return encodings[key]
        vectors = get_encoder(self.encoder_id).encode([text])
        if encodings is not None:
            encodings[key] = vectors
        return vectors

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        return [self._prediction(row) for row in self.probabilities(texts)]

    def _prediction(self, probabilities: np.ndarray, top: int = 3) -> IntentPrediction:
        order = np.argsort(probabilities)[::-1][:top]
        ranking = tuple((self.intents[i], float(probabilities[i])) for i in order)
        return IntentPrediction(ranking[0][0], ranking[0][1], ranking)

    def save(self, path: Path) -> None:
        """A numpy archive, no pickle: a model file can be shared without being code."""
        parts = ModelParts(
            self.intents,
            self.featurizer,
            self.ngram,
            self.semantic,
            self.defer_below,
            self.encoder_id,
        )
        model_file.save(parts, path)

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        return cls(*model_file.load(path))
