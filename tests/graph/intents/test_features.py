"""The featurizer's fast paths (per-word memo, vectorised batch) against the definition:
sublinear TF x IDF over `analyse(text)`, L2-normalised."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.intents.features import TfidfFeaturizer, analyse

TRAINING = [
    "my card payment failed twice",
    "where is my order 1038",
    "I was charged two times for one purchase",
    "how do I reset my password?",
    "the app keeps crashing when I pay",
]
FEATURIZER = TfidfFeaturizer.fit(TRAINING)


def by_definition(text: str) -> dict[int, float]:
    weights = {
        FEATURIZER.vocabulary[term]: (1.0 + math.log(count))
        * float(FEATURIZER.idf[FEATURIZER.vocabulary[term]])
        for term, count in analyse(text).items()
        if term in FEATURIZER.vocabulary
    }
    norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
    return {column: value / norm for column, value in weights.items()}


def as_dict(columns: np.ndarray, values: np.ndarray) -> dict[int, float]:
    return dict(zip(columns.tolist(), values.tolist(), strict=True))


def assert_close(got: dict[int, float], want: dict[int, float]) -> None:
    assert got.keys() == want.keys()
    for column, value in want.items():
        assert abs(got[column] - value) < 1e-5


texts = st.lists(
    st.one_of(
        st.sampled_from([*TRAINING, "", "!!!", "paid paid paid", "ordre 1038 ça crash 😀"]),
        st.text(max_size=60),
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(texts)
def test_batch_and_single_rows_follow_the_definition(batch: list[str]) -> None:
    matrix = FEATURIZER.transform(batch)
    assert matrix.shape == (len(batch), FEATURIZER.size)
    for i, text in enumerate(batch):
        want = by_definition(text)
        row = matrix.getrow(i)
        assert_close(as_dict(row.indices, row.data), want)
        assert_close(as_dict(*FEATURIZER.transform_one(text)), want)


def test_a_repeated_word_counts_its_ngrams_again() -> None:
    once = as_dict(*FEATURIZER.transform_one("paid"))
    thrice = as_dict(*FEATURIZER.transform_one("paid paid paid"))
    assert once.keys() == thrice.keys()
    assert_close(thrice, by_definition("paid paid paid"))
