"""Model files: a numpy archive (no pickle, so a file is data, never code) holding the
vocabulary, IDF, the linear weights (float16 halves the size, costs no accuracy) and the
calibration.

It reads and writes a model's parts; `IntentClassifier.save` / `.load` are the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

from graph.intents.embedding import MODEL_ID, EncoderUnavailable, available
from graph.intents.features import TfidfFeaturizer
from graph.intents.linear import LinearScorer

FORMAT = "switchboard-intents/2"


class ModelParts(NamedTuple):
    """An `IntentClassifier`'s constructor arguments, in order."""

    intents: tuple[str, ...]
    featurizer: TfidfFeaturizer
    ngram: LinearScorer
    semantic: LinearScorer | None
    defer_below: float
    encoder_id: str = MODEL_ID


def save(model: ModelParts, path: Path) -> None:
    semantic = model.semantic
    meta = {
        "format": FORMAT,
        "intents": list(model.intents),
        "ngram_calibration": list(model.ngram.calibration),
        "semantic_calibration": list(semantic.calibration) if semantic else None,
        "encoder": model.encoder_id if semantic else None,
        "defer_below": model.defer_below,
    }
    vocabulary = model.featurizer.vocabulary
    arrays = {
        "meta": np.array(json.dumps(meta)),
        "terms": np.array(sorted(vocabulary, key=vocabulary.__getitem__), dtype=np.str_),
        "idf": model.featurizer.idf,
        "ngram_weights": model.ngram.weights.astype(np.float16),
        "ngram_bias": model.ngram.bias,
    }
    if semantic is not None:
        arrays["semantic_weights"] = semantic.weights.astype(np.float16)
        arrays["semantic_bias"] = semantic.bias
    with Path(path).open("wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]


def load(path: Path) -> ModelParts:
    with np.load(Path(path), allow_pickle=False) as archive:
        meta = json.loads(str(archive["meta"]))
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a switchboard intent model ({meta.get('format')})")
        if meta["encoder"] and not available(meta["encoder"]):
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
        return ModelParts(
            tuple(meta["intents"]),
            featurizer,
            ngram,
            semantic,
            float(meta["defer_below"]),
            meta["encoder"] or MODEL_ID,
        )
