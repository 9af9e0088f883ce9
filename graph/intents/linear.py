"""One-vs-rest linear scoring: fitting, out-of-fold scores for calibration, and the
fitted scorer that the classifier applies to sparse (and dense) features."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph.intents.calibration import probabilities

#: (train rows, held-out rows) -> (train features, held-out features)
FeatureBuilder = Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]


@dataclass(frozen=True)
class LinearScorer:
    """Weights (n_features, n_intents), bias and the calibration of one linear model."""

    weights: np.ndarray
    bias: np.ndarray
    calibration: tuple[float, float]

    def probabilities(self, scores: np.ndarray) -> np.ndarray:
        return probabilities(scores, *self.calibration)


def fit_linear(features: Any, targets: np.ndarray, n_classes: int, c: float) -> tuple[Any, Any]:
    """A one-vs-rest linear SVM: returns (weights (n_features, n_classes), bias)."""
    from sklearn.svm import LinearSVC  # training only: keeps sklearn out of a server's start

    model = LinearSVC(C=c)
    model.fit(features, targets)
    weights = np.zeros((features.shape[1], n_classes), dtype=np.float32)
    bias = np.full(n_classes, -10.0, dtype=np.float32)  # classes absent from a fold
    present = model.classes_
    if len(present) == 2:  # sklearn returns one score column for two classes
        weights[:, present[1]] = model.coef_[0]
        weights[:, present[0]] = -model.coef_[0]
        bias[present[1]], bias[present[0]] = model.intercept_[0], -model.intercept_[0]
    else:
        weights[:, present] = model.coef_.T
        bias[present] = model.intercept_
    return weights, bias


def out_of_fold_scores(
    build: FeatureBuilder,
    targets: np.ndarray,
    n_classes: int,
    c: float,
    folds: int = 3,
    max_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Scores of each example from a model that never saw it, for the calibration fit.

    `max_rows` caps the rows used (a random subset) so that calibrating on a large data
    set stays within the training-time budget; two numbers need few thousand rows.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    rows = np.arange(len(targets))
    if max_rows is not None and len(rows) > max_rows:
        rows = np.sort(np.random.default_rng(0).choice(rows, max_rows, replace=False))
    subset = targets[rows]
    smallest = int(np.bincount(subset).min()) if len(subset) else 0
    splitter = (
        StratifiedKFold(n_splits=min(folds, smallest), shuffle=True, random_state=0)
        if smallest >= 2
        else KFold(n_splits=min(folds, len(rows)), shuffle=True, random_state=0)
    )
    all_scores, all_targets = [], []
    for train_at, test_at in splitter.split(np.zeros(len(rows)), subset):
        train_rows, test_rows = rows[train_at], rows[test_at]
        train_features, test_features = build(train_rows, test_rows)
        weights, bias = fit_linear(train_features, targets[train_rows], n_classes, c)
        all_scores.append(np.asarray(test_features @ weights) + bias)
        all_targets.append(targets[test_rows])
    return np.vstack(all_scores), np.concatenate(all_targets)
