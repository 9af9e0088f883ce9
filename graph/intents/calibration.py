"""Calibration: turns one-vs-rest decision scores into probabilities that mean what they
say, so one policy threshold works for every intent and every training set.

Why one-vs-rest sigmoids (Platt scaling) and not a softmax: a softmax only compares the
intents with each other, so a message that matches none of them (gibberish, a question
the policy does not cover) still gets a confident winner. Each one-vs-rest score already
says "is it this intent at all"; a sigmoid fitted on out-of-fold scores turns it into a
probability, and a message far from every intent keeps every probability low. When
several intents are likely, they share the mass (we divide by the sum when it exceeds 1).
"""

from __future__ import annotations

import numpy as np


def probabilities(scores: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    """Per-intent probabilities from raw scores (rows = texts or a single vector)."""
    likely = 1.0 / (1.0 + np.exp(-(slope * scores + intercept)))
    total = likely.sum(axis=-1, keepdims=True)
    return likely / np.maximum(total, 1.0)


def fit_sigmoid(scores: np.ndarray, targets: np.ndarray, n_intents: int) -> tuple[float, float]:
    """One slope and intercept for all intents, fitted on (score, is-true-intent) pairs
    from models that never saw the example: sharing them keeps the fit stable with ten
    examples an intent. Targets equal to `n_intents` are background rows: no intent."""
    truth = np.zeros(scores.shape, dtype=bool)
    rows = np.flatnonzero(targets < n_intents)
    truth[rows, targets[rows]] = True
    from sklearn.linear_model import LogisticRegression  # training only

    model = LogisticRegression(C=100.0)
    model.fit(scores.reshape(-1, 1), truth.ravel())
    return float(model.coef_[0, 0]), float(model.intercept_[0])
