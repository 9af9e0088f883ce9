"""Sparse TF-IDF features of word and character n-grams, computed in plain Python.

Why not sklearn's `TfidfVectorizer` at run time: the chatbot classifies one message per
turn, and sklearn's per-call overhead (validation, FeatureUnion, sparse bookkeeping) costs
milliseconds for a single text. A dict lookup per n-gram costs tens of microseconds, and
one code path serves both single messages and batches, so they can never disagree.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """Lower-cased word tokens; digits kept (amounts and card digits carry meaning)."""
    return _WORD.findall(text.lower())


def word_ngrams(tokens: Sequence[str]) -> Iterable[str]:
    """Unigrams and bigrams: bigrams catch "not received" against "received"."""
    yield from tokens
    for a, b in itertools.pairwise(tokens):
        yield a + " " + b


def char_ngrams(tokens: Sequence[str], low: int = 2, high: int = 5) -> Iterable[str]:
    """Character n-grams inside padded words: robust to typos and inflections."""
    for token in tokens:
        padded = " " + token + " "
        size = len(padded)
        for n in range(low, min(high, size) + 1):
            for start in range(size - n + 1):
                yield "#" + padded[start : start + n]


def analyse(text: str) -> Counter[str]:
    """All n-grams of a text with their counts (word and char n-grams share one space;
    char n-grams are prefixed with '#' so they never collide with words)."""
    tokens = words(text)
    counts: Counter[str] = Counter(word_ngrams(tokens))
    counts.update(char_ngrams(tokens))
    return counts


@dataclass
class TfidfFeaturizer:
    """Vocabulary and inverse document frequencies fitted on the training texts."""

    vocabulary: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, texts: Sequence[str], min_df: int = 1) -> TfidfFeaturizer:
        document_frequency: Counter[str] = Counter()
        for text in texts:
            document_frequency.update(analyse(text).keys())
        kept = sorted(term for term, df in document_frequency.items() if df >= min_df)
        vocabulary = {term: i for i, term in enumerate(kept)}
        df = np.array([document_frequency[t] for t in kept], dtype=np.float64)
        idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        return cls(vocabulary, idf.astype(np.float32))

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def transform_one(self, text: str) -> tuple[list[int], list[float]]:
        """Column indices and L2-normalised sublinear TF-IDF weights of one text."""
        lookup = self.vocabulary.get
        idf = self.idf
        columns: list[int] = []
        values: list[float] = []
        for term, count in analyse(text).items():
            column = lookup(term)
            if column is not None:
                columns.append(column)
                values.append((1.0 + math.log(count)) * float(idf[column]))
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        return columns, [v / norm for v in values]

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for text in texts:
            columns, values = self.transform_one(text)
            indices.extend(columns)
            data.extend(values)
            indptr.append(len(indices))
        return sparse.csr_matrix(
            (np.asarray(data, dtype=np.float32), indices, indptr),
            shape=(len(texts), self.size),
        )
