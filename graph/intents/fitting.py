"""Training: the n-gram stage, then (when the encoder is installed) the semantic stage,
each with a calibration fitted on out-of-fold scores."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from graph.intents.background import background_texts
from graph.intents.calibration import fit_sigmoid
from graph.intents.classifier import (
    DEFAULT_DEFER_BELOW,
    EMBEDDING_WEIGHT,
    OUT_OF_SCOPE_LABELS,
    IntentClassifier,
)
from graph.intents.embedding import MODEL_ID, available, get_encoder
from graph.intents.features import TfidfFeaturizer
from graph.intents.linear import LinearScorer, fit_linear, out_of_fold_scores

#: TF-IDF cosine above which a background text is too close to a training example.
_BACKGROUND_SIMILARITY = 0.5
#: Rows used to calibrate the semantic stage: enough for two numbers, and it keeps
#: training on 10k examples within a minute on two cores.
_SEMANTIC_CALIBRATION_ROWS = 3000


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


def _fit_stage(
    texts: list[str],
    targets: np.ndarray,
    n_intents: int,
    n_classes: int,
    c: float,
    vectors: np.ndarray | None,
    calibration_rows: int | None,
) -> tuple[TfidfFeaturizer, LinearScorer]:
    """One linear stage on n-grams (plus sentence vectors when given)."""

    def features(featurizer: TfidfFeaturizer, rows: np.ndarray) -> sparse.csr_matrix:
        ngrams = featurizer.transform([texts[i] for i in rows])
        if vectors is None:
            return ngrams
        return sparse.hstack([ngrams, EMBEDDING_WEIGHT * vectors[rows]], format="csr")

    def build(train: np.ndarray, test: np.ndarray) -> tuple[sparse.csr_matrix, ...]:
        featurizer = TfidfFeaturizer.fit([texts[i] for i in train])
        return features(featurizer, train), features(featurizer, test)

    featurizer = TfidfFeaturizer.fit(texts)
    everything = np.arange(len(texts))
    weights, bias = fit_linear(features(featurizer, everything), targets, n_classes, c)
    scores, held_out = out_of_fold_scores(build, targets, n_classes, c, max_rows=calibration_rows)
    calibration = fit_sigmoid(scores[:, :n_intents], held_out, n_intents)
    return featurizer, LinearScorer(weights[:, :n_intents], bias[:n_intents], calibration)


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    c: float,
    background: Sequence[str] | None,
    method: str,
    defer_below: float,
    encoder: str,
) -> IntentClassifier:
    if method not in ("auto", "ngram", "cascade"):
        raise ValueError(f"unknown intent method {method!r}: auto, ngram or cascade")
    pairs = [(str(t), str(y)) for t, y in zip(texts, labels, strict=True)]
    in_scope = [(t, y) for t, y in pairs if y.lower() not in OUT_OF_SCOPE_LABELS]
    negatives = [t for t, y in pairs if y.lower() in OUT_OF_SCOPE_LABELS]
    intents, targets = np.unique([y for _, y in in_scope], return_inverse=True)
    if len(intents) < 2:
        raise ValueError("intent training needs at least two intents")
    in_texts = [t for t, _ in in_scope]
    extra = background_texts() if background is None else list(background)
    negatives += _unlike_examples(extra, in_texts, TfidfFeaturizer.fit(in_texts))

    all_texts = in_texts + negatives
    all_targets = np.concatenate([targets, np.full(len(negatives), len(intents))])
    n_intents, n_classes = len(intents), len(intents) + (1 if negatives else 0)
    featurizer, ngram = _fit_stage(all_texts, all_targets, n_intents, n_classes, c, None, None)
    semantic = None
    if method == "cascade" or (method == "auto" and available(encoder)):
        vectors = get_encoder(encoder).encode(all_texts)
        semantic_featurizer, semantic = _fit_stage(
            all_texts,
            all_targets,
            n_intents,
            n_classes,
            c,
            vectors,
            _SEMANTIC_CALIBRATION_ROWS,
        )
        assert semantic_featurizer.vocabulary == featurizer.vocabulary
    names = [str(i) for i in intents]
    return IntentClassifier(names, featurizer, ngram, semantic, defer_below, encoder)


def train_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    c: float = 0.5,
    background: Sequence[str] | None = None,
    method: str = "auto",
    defer_below: float = DEFAULT_DEFER_BELOW,
    encoder: str = MODEL_ID,
) -> IntentClassifier:
    """Fit on (text, intent) examples; needs at least two intents.

    `method`: "ngram" (n-grams only, no embedding packages needed), "cascade" (n-grams,
    then a sentence encoder for unsure messages) or "auto" (cascade when the encoder's
    packages are installed). `encoder`: an id from `embedding` (`encoder_for` picks one
    for a policy's languages).
    Rows labelled out of scope (`oos`, …) and the `background` texts (generic ones by
    default) are negatives for every intent, never an intent of their own: they teach the
    model, and its calibration, what "none of these" looks like.
    """
    return fit(
        texts,
        labels,
        c=c,
        background=background,
        method=method,
        defer_below=defer_below,
        encoder=encoder,
    )
