"""Model files: a numpy archive (no pickle, so a file is data, never code) holding the
vocabulary, IDF, the linear weights (float16 halves the size, costs no accuracy) and the
calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from graph.intents.classifier import IntentClassifier
from graph.intents.embedding import MODEL_ID, EncoderUnavailable, available
from graph.intents.features import TfidfFeaturizer
from graph.intents.linear import LinearScorer

FORMAT = "switchboard-intents/2"


def save(classifier: IntentClassifier, path: Path) -> None:
    semantic = classifier.semantic
    meta = {
        "format": FORMAT,
        "intents": list(classifier.intents),
        "ngram_calibration": list(classifier.ngram.calibration),
        "semantic_calibration": list(semantic.calibration) if semantic else None,
        "encoder": MODEL_ID if semantic else None,
        "defer_below": classifier.defer_below,
    }
    vocabulary = classifier.featurizer.vocabulary
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "terms": np.array(sorted(vocabulary, key=vocabulary.__getitem__), dtype=np.str_),
        "idf": classifier.featurizer.idf,
        "ngram_weights": classifier.ngram.weights.astype(np.float16),
        "ngram_bias": classifier.ngram.bias,
    }
    if semantic is not None:
        arrays["semantic_weights"] = semantic.weights.astype(np.float16)
        arrays["semantic_bias"] = semantic.bias
    with Path(path).open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]


def load(path: Path) -> IntentClassifier:
    with np.load(Path(path), allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a switchboard intent model ({meta.get('format')})")
        if meta["encoder"] and (meta["encoder"] != MODEL_ID or not available()):
            raise EncoderUnavailable(
                f"{path} needs the sentence encoder {meta['encoder']}; install the "
                "project's dependencies or retrain with method='ngram'"
            )
        terms = archive["terms"].tolist()
        featurizer = TfidfFeaturizer({t: i for i, t in enumerate(terms)}, archive["idf"])
        ngram = LinearScorer(
            archive["ngram_weights"].astype(np.float32),
            archive["ngram_bias"],
            tuple(meta["ngram_calibration"]),
        )
        semantic = None
        if meta["encoder"]:
            semantic = LinearScorer(
                archive["semantic_weights"].astype(np.float32),
                archive["semantic_bias"],
                tuple(meta["semantic_calibration"]),
            )
        return IntentClassifier(
            meta["intents"], featurizer, ngram, semantic, float(meta["defer_below"])
        )
