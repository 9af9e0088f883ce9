"""The int8 MiniLM encoder: truly int8, faithful to the float model, and a text's vector
never depends on the texts encoded with it."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import onnxruntime
import pytest

from tools.kb_embedding import PassageEncoder, model_files, quantized_model

FILES = model_files()
pytestmark = pytest.mark.skipif(FILES is None, reason="embedding packages not installed")
TEXTS = [
    "My payment failed twice, but I was still charged.",
    "where is my parcel",
    "hi",
    "Can I get a refund for order 1038? It arrived broken and the box was soaked.",
]


@pytest.fixture(scope="module")
def encoder() -> PassageEncoder:
    assert FILES is not None
    return PassageEncoder(*FILES, max_tokens=64, workers=2, int8=True)


def float_vectors(texts: list[str]) -> np.ndarray:
    """The shipped model as it is (int8 storage, float arithmetic), one text at a time."""
    assert FILES is not None
    from tokenizers import Tokenizer

    session = onnxruntime.InferenceSession(str(FILES[0]), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(FILES[1]))
    tokenizer.no_padding()
    rows = []
    for text in texts:
        ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
        hidden = session.run(
            None, {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": 0 * ids}
        )[0][0].mean(axis=0)
        rows.append(hidden / np.linalg.norm(hidden))
    return np.stack(rows)


def test_the_derived_model_multiplies_in_int8_but_the_ffn_output() -> None:
    assert FILES is not None
    graph = onnx.load(str(quantized_model(FILES[0]))).graph
    ops = Counter(node.op_type for node in graph.node)
    assert ops["MatMulInteger"] + ops["DynamicQuantizeMatMul"] >= 30
    assert ops["MatMul"] >= 6  # one feed-forward output per layer stays float
    assert quantized_model(FILES[0]) == quantized_model(FILES[0])  # made once, then reused


def test_vectors_stay_close_to_the_float_model(encoder: PassageEncoder) -> None:
    cosines = np.sum(encoder.encode(TEXTS) * float_vectors(TEXTS), axis=1)
    assert cosines.min() > 0.98


def test_the_knowledge_base_keeps_the_float_model() -> None:
    assert FILES is not None
    passages = PassageEncoder(*FILES, workers=1)
    assert passages.model_id != PassageEncoder(*FILES, int8=True).model_id
    assert np.allclose(passages.encode(TEXTS), float_vectors(TEXTS), atol=1e-5)


def test_a_text_gets_the_same_vector_alone_and_in_any_company(encoder: PassageEncoder) -> None:
    together = encoder.encode(TEXTS * 3)
    for i, text in enumerate(TEXTS):
        alone = encoder.encode_one(text)
        assert np.array_equal(alone, together[i])
        assert np.array_equal(alone, together[i + len(TEXTS)])
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)
