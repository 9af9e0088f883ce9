"""Sparse TF-IDF features of word and character n-grams, computed in plain Python.

Why not sklearn's `TfidfVectorizer` at run time: the chatbot classifies one message per
turn, and sklearn's per-call overhead (validation, FeatureUnion, sparse bookkeeping) costs
milliseconds for a single text. A dict lookup per n-gram costs tens of microseconds, and
one code path serves both single messages and batches, so they can never disagree.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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


#: Words whose character n-grams are remembered; beyond this the memo starts afresh
#: (a support desk's vocabulary is a few thousand words, so this is rarely reached).
_WORD_MEMO_LIMIT = 100_000


@dataclass
class TfidfFeaturizer:
    """Vocabulary and inverse document frequencies fitted on the training texts."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    # word -> (columns, counts) of its known character n-grams: words repeat across
    # messages, so each one is cut into n-grams once, not at every message.
    _word_memo: dict[str, tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )

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

    def _word_columns(self, word: str) -> tuple[np.ndarray, np.ndarray]:
        memo = self._word_memo.get(word)
        if memo is None:
            lookup = self.vocabulary.get
            counts: Counter[int] = Counter()
            for gram in char_ngrams((word,)):
                column = lookup(gram)
                if column is not None:
                    counts[column] += 1
            memo = (
                np.fromiter(counts.keys(), dtype=np.int32, count=len(counts)),
                np.fromiter(counts.values(), dtype=np.float32, count=len(counts)),
            )
            if len(self._word_memo) >= _WORD_MEMO_LIMIT:
                self._word_memo.clear()
            self._word_memo[word] = memo
        return memo

    def _counts(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Columns and raw counts of a text's known n-grams (a column may repeat)."""
        tokens = words(text)
        lookup = self.vocabulary.get
        word_columns = [c for c in map(lookup, word_ngrams(tokens)) if c is not None]
        parts = [self._word_columns(token) for token in tokens]
        columns = np.concatenate([np.asarray(word_columns, dtype=np.int32)] + [c for c, _ in parts])
        counts = np.concatenate([np.ones(len(word_columns), np.float32)] + [n for _, n in parts])
        return columns, counts

    def transform_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and L2-normalised sublinear TF-IDF weights of one text."""
        columns, counts = self._counts(text)
        unique, where = np.unique(columns, return_inverse=True)
        values = (1.0 + np.log(np.bincount(where, weights=counts))) * self.idf[unique]
        norm = float(np.sqrt(values @ values)) or 1.0
        return unique, (values / norm).astype(np.float32)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One row per text: sublinear TF (1 + log count) x IDF, L2-normalised."""
        pieces = [self._counts(text) for text in texts]
        lengths = [len(columns) for columns, _ in pieces]
        rows = np.repeat(np.arange(len(texts), dtype=np.int32), lengths)
        columns = np.concatenate([c for c, _ in pieces]) if pieces else np.zeros(0, np.int32)
        counts = np.concatenate([n for _, n in pieces]) if pieces else np.zeros(0, np.float32)
        # COO -> CSR sums the counts of a column repeated within a row.
        matrix = sparse.csr_matrix((counts, (rows, columns)), shape=(len(texts), self.size))
        matrix.sum_duplicates()
        matrix.data = (1.0 + np.log(matrix.data)) * self.idf[matrix.indices]
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0.0] = 1.0
        matrix.data /= np.repeat(norms, np.diff(matrix.indptr)).astype(np.float32)
        return matrix
