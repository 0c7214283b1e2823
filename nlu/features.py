"""Sparse text features: character n-grams inside words plus word unigrams and bigrams.

Character n-grams make the classifier tolerant of typos and spelling variants ("pasaporte",
"pasaport", "passport"); word n-grams keep short function words ("no", "po") meaningful.
Matrices are plain numpy CSR triples so the package needs nothing heavier than numpy.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

BIAS = "<bias>"


def ngrams(words: Sequence[str], char_range: tuple[int, int] = (2, 5)) -> Counter[str]:
    """Count the features of one normalized message (tokens already folded and expanded)."""
    low, high = char_range
    counts: Counter[str] = Counter()
    for word in words:
        padded = f" {word} "
        # Counter.update counts an iterable in C: the same counts, in the same first-seen order.
        counts.update(
            padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)
        )
        counts["w:" + word] += 1
    for first, second in zip(words, words[1:], strict=False):
        counts[f"b:{first} {second}"] += 1
    return counts


@dataclass
class SparseRows:
    """A CSR matrix: row i holds indices[indptr[i]:indptr[i+1]] with the matching data."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_cols: int

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    def take(self, rows: Sequence[int] | np.ndarray) -> SparseRows:
        """The submatrix of the given rows, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        picks = (
            np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
            if len(rows)
            else np.zeros(0, np.int64)
        )
        return SparseRows(indptr, self.indices[picks], self.data[picks], self.n_cols)

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """self @ weights for a dense (n_cols, k) matrix. Every row must be non-empty."""
        products = weights[self.indices] * self.data[:, None]
        return np.add.reduceat(products, self.indptr[:-1], axis=0)

    def tdot(self, grad: np.ndarray) -> np.ndarray:
        """self.T @ grad for a dense (n_rows, k) matrix (the gradient step of training)."""
        order, rows, data, columns, starts = self._transposed()
        out = np.zeros((self.n_cols, grad.shape[1]), dtype=grad.dtype)
        if len(order):
            out[columns] = np.add.reduceat(grad[rows] * data[:, None], starts, axis=0)
        return out

    def _transposed(self) -> tuple[np.ndarray, ...]:
        """Entries sorted by column, computed once: training calls tdot many times."""
        if getattr(self, "_transpose", None) is None:
            all_rows = np.repeat(np.arange(self.n_rows), np.diff(self.indptr))
            order = np.argsort(self.indices, kind="stable")
            sorted_cols = self.indices[order]
            starts = (
                np.flatnonzero(np.r_[True, sorted_cols[1:] != sorted_cols[:-1]])
                if len(order)
                else order
            )
            self._transpose = (
                order,
                all_rows[order],
                self.data[order],
                sorted_cols[starts],
                starts,
            )
        return self._transpose


class Featurizer:
    """TF-IDF over n-gram features with a vocabulary learned from the training texts."""

    def __init__(self, char_range: tuple[int, int] = (2, 5)) -> None:
        self.char_range = char_range
        self.vocabulary: dict[str, int] = {}
        self.idf = np.zeros(0, dtype=np.float32)

    def fit(self, texts: Sequence[Sequence[str]]) -> Featurizer:
        document_frequency: Counter[str] = Counter()
        for words in texts:
            document_frequency.update(ngrams(words, self.char_range).keys())
        self.vocabulary = {BIAS: 0}
        for feature in sorted(document_frequency):
            self.vocabulary.setdefault(feature, len(self.vocabulary))
        n = len(texts)
        idf = np.ones(len(self.vocabulary), dtype=np.float32)
        for feature, df in document_frequency.items():
            idf[self.vocabulary[feature]] = math.log((1 + n) / (1 + df)) + 1.0
        self.idf = idf
        return self

    def row(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Indices and L2-normalized sublinear TF-IDF values of one message (bias included)."""
        counts = ngrams(words, self.char_range)
        vocab = self.vocabulary
        pairs = [(vocab[f], 1.0 + math.log(c)) for f, c in counts.items() if f in vocab]
        indices = np.fromiter((i for i, _ in pairs), dtype=np.int64, count=len(pairs))
        values = np.fromiter((v for _, v in pairs), dtype=np.float32, count=len(pairs))
        values *= self.idf[indices]
        norm = float(np.sqrt(np.dot(values, values)))
        if norm > 0:
            values /= norm
        return np.concatenate([[0], indices]), np.concatenate([[1.0], values]).astype(np.float32)

    def transform(self, texts: Iterable[Sequence[str]]) -> SparseRows:
        indptr, all_indices, all_values = [0], [], []
        for words in texts:
            indices, values = self.row(words)
            all_indices.append(indices)
            all_values.append(values)
            indptr.append(indptr[-1] + len(indices))
        return SparseRows(
            np.asarray(indptr, dtype=np.int64),
            np.concatenate(all_indices) if all_indices else np.zeros(0, np.int64),
            np.concatenate(all_values) if all_values else np.zeros(0, np.float32),
            len(self.vocabulary),
        )
