"""The intent classifier: TF-IDF word + character n-grams into a one-vs-rest
linear SVM, with sigmoid-calibrated probabilities.

Trained at start from the policy's examples (or loaded from a file trained on a larger
set with `switchboard intents train`). Confidence is the calibrated probability of the
top intent, so the policy threshold means the same thing for every intent; below it the
turn goes to clarify, the agent or a person instead of a wrong workflow.

Prediction is a dict lookup per n-gram and a gather of weight rows: ~0.1 ms for one
message, no sklearn on the request path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.svm import LinearSVC

from graph.intents.background import background_texts
from graph.intents.calibration import fit_sigmoid, probabilities
from graph.intents.features import TfidfFeaturizer

FORMAT = "switchboard-intents/1"
#: Labels that mean "none of our intents" in public data sets (CLINC150 uses `oos`).
OUT_OF_SCOPE_LABELS = frozenset({"oos", "out_of_scope", "out-of-scope", "none", "unknown"})
#: TF-IDF cosine above which a background text is too close to a training example.
_BACKGROUND_SIMILARITY = 0.5


@dataclass(frozen=True)
class IntentPrediction:
    intent: str
    confidence: float
    ranking: tuple[tuple[str, float], ...] = ()


class IntentClassifier:
    """A fitted featurizer and one linear score per intent; immutable after training."""

    def __init__(
        self,
        intents: Sequence[str],
        featurizer: TfidfFeaturizer,
        weights: np.ndarray,
        bias: np.ndarray,
        calibration: tuple[float, float],
    ) -> None:
        self.intents: tuple[str, ...] = tuple(intents)
        self._featurizer = featurizer
        # (n_features, n_intents): a message's few n-grams select a few rows.
        self._weights = np.ascontiguousarray(weights, dtype=np.float32)
        self._bias = np.asarray(bias, dtype=np.float32)
        self.calibration = (float(calibration[0]), float(calibration[1]))

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores, one row per text (used for calibration and evaluation)."""
        features = self._featurizer.transform(texts)
        return np.asarray(features @ self._weights) + self._bias

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return probabilities(self.scores(texts), *self.calibration)

    def predict(self, text: str) -> IntentPrediction:
        columns, values = self._featurizer.transform_one(text)
        scores = np.asarray(values, dtype=np.float32) @ self._weights[columns] + self._bias
        return self._prediction(probabilities(scores, *self.calibration))

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        return [self._prediction(row) for row in self.probabilities(texts)]

    def _prediction(self, probabilities: np.ndarray, top: int = 3) -> IntentPrediction:
        order = np.argsort(probabilities)[::-1][:top]
        ranking = tuple((self.intents[i], float(probabilities[i])) for i in order)
        return IntentPrediction(ranking[0][0], ranking[0][1], ranking)

    def save(self, path: Path) -> None:
        """A numpy archive, no pickle: a model file can be shared without being code."""
        meta = {
            "format": FORMAT,
            "intents": list(self.intents),
            "calibration": list(self.calibration),
        }
        terms = sorted(self._featurizer.vocabulary, key=self._featurizer.vocabulary.__getitem__)
        with Path(path).open("wb") as handle:
            np.savez_compressed(
                handle,
                meta=np.array(json.dumps(meta)),
                terms=np.array(terms, dtype=np.str_),
                idf=self._featurizer.idf,
                weights=self._weights.astype(np.float16),
                bias=self._bias,
            )

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        with np.load(Path(path), allow_pickle=False) as archive:
            meta = json.loads(str(archive["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"{path}: not a switchboard intent model ({meta.get('format')})")
            terms = archive["terms"].tolist()
            featurizer = TfidfFeaturizer({t: i for i, t in enumerate(terms)}, archive["idf"])
            return cls(
                meta["intents"],
                featurizer,
                archive["weights"].astype(np.float32),
                archive["bias"],
                tuple(meta["calibration"]),
            )


def _fit_linear(features, targets: np.ndarray, n_classes: int, c: float):  # type: ignore[no-untyped-def]
    """A one-vs-rest linear SVM; returns (weights (n_features, n_classes), bias)."""
    model = LinearSVC(C=c)
    model.fit(features, targets)
    weights = np.zeros((features.shape[1], n_classes), dtype=np.float32)
    bias = np.full(n_classes, -10.0, dtype=np.float32)  # intents absent from a fold
    present = model.classes_
    if len(present) == 2:  # sklearn returns one score column for two classes
        weights[:, present[1]] = model.coef_[0]
        weights[:, present[0]] = -model.coef_[0]
        bias[present[1]], bias[present[0]] = model.intercept_[0], -model.intercept_[0]
    else:
        weights[:, present] = model.coef_.T
        bias[present] = model.intercept_
    return weights, bias


def _out_of_fold_scores(
    texts: Sequence[str], targets: np.ndarray, n_classes: int, c: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of each example from a model that never saw it, for the calibration fit."""
    smallest = int(np.bincount(targets).min())
    folds = (
        StratifiedKFold(n_splits=min(3, smallest), shuffle=True, random_state=0)
        if smallest >= 2
        else KFold(n_splits=min(3, len(texts)), shuffle=True, random_state=0)
    )
    all_scores, all_targets = [], []
    for train_index, test_index in folds.split(np.zeros(len(targets)), targets):
        train_texts = [texts[i] for i in train_index]
        featurizer = TfidfFeaturizer.fit(train_texts)
        weights, bias = _fit_linear(
            featurizer.transform(train_texts), targets[train_index], n_classes, c
        )
        held_out = featurizer.transform([texts[i] for i in test_index])
        all_scores.append(np.asarray(held_out @ weights) + bias)
        all_targets.append(targets[test_index])
    return np.vstack(all_scores), np.concatenate(all_targets)


def _unlike_examples(
    background: Sequence[str], texts: Sequence[str], featurizer: TfidfFeaturizer
) -> list[str]:
    """Background texts that resemble no training example: a policy that does cover
    small talk or the weather must keep those intents."""
    if not background:
        return []
    similarity = featurizer.transform(background) @ featurizer.transform(texts).T
    closest = np.asarray(similarity.max(axis=1).todense()).ravel()
    return [t for t, s in zip(background, closest, strict=True) if s < _BACKGROUND_SIMILARITY]


def train_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    c: float = 0.5,
    background: Sequence[str] | None = None,
) -> IntentClassifier:
    """Fit on (text, intent) examples; needs at least two intents.

    Rows labelled out of scope (`oos`, …) and the `background` texts (generic ones by
    default) are negatives for every intent, never an intent of their own: they teach
    the model, and its calibration, what "none of these" looks like.
    """
    pairs = [(str(t), str(y)) for t, y in zip(texts, labels, strict=True)]
    in_scope = [(t, y) for t, y in pairs if y.lower() not in OUT_OF_SCOPE_LABELS]
    negatives = [t for t, y in pairs if y.lower() in OUT_OF_SCOPE_LABELS]
    intents, targets = np.unique([y for _, y in in_scope], return_inverse=True)
    if len(intents) < 2:
        raise ValueError("intent training needs at least two intents")
    in_texts = [t for t, _ in in_scope]
    featurizer = TfidfFeaturizer.fit(in_texts)
    extra = background_texts() if background is None else list(background)
    negatives += _unlike_examples(extra, in_texts, featurizer)

    all_texts = in_texts + negatives
    all_targets = np.concatenate([targets, np.full(len(negatives), len(intents))])
    n_classes = len(intents) + (1 if negatives else 0)
    featurizer = TfidfFeaturizer.fit(all_texts)
    weights, bias = _fit_linear(featurizer.transform(all_texts), all_targets, n_classes, c)
    scores, oof_targets = _out_of_fold_scores(all_texts, all_targets, n_classes, c)
    calibration = fit_sigmoid(scores[:, : len(intents)], oof_targets, len(intents))
    return IntentClassifier(
        [str(i) for i in intents],
        featurizer,
        weights[:, : len(intents)],
        bias[: len(intents)],
        calibration,
    )
