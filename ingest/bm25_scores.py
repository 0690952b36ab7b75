"""BM25 scores read from an index that bm25s saved, without importing bm25s.

`newsdesk ask` only scores a question against the cached index; importing bm25s for that pulled in scipy.sparse,
tqdm and requests (about 120 ms of every start, #16). The index is built and saved by bm25s
(``ingest.search_index.SearchIndex.build``); this reads its files (JSON and .npy) and sums the precomputed
scores exactly as ``bm25s.BM25.get_scores`` does, in the same order and dtype, so the scores are bit-identical
(tests/test_bm25_scores.py compares them on generated corpora).
SEE: bm25s/__init__.py ``BM25.load``, ``BM25.get_scores_from_ids`` and ``_compute_relevance_from_scores``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: bm25s variants that add a score for the query terms a document lacks (its "non-occurrence" array).
_NONOCCURRENCE_METHODS = ("bm25l", "bm25+")


@dataclass(frozen=True, slots=True)
class SavedBM25:
    """The scoring half of a saved ``bm25s.BM25``: vocabulary and per-term document scores (CSC columns)."""

    vocab_dict: dict[str, int]
    data: np.ndarray  # score of document indices[j] for the term whose column holds j
    indices: np.ndarray
    indptr: np.ndarray  # column t is data[indptr[t]:indptr[t + 1]]
    num_docs: int
    dtype: np.dtype = field(default_factory=lambda: np.dtype("float32"))
    int_dtype: np.dtype = field(default_factory=lambda: np.dtype("int32"))
    nonoccurrence: np.ndarray | None = None

    @classmethod
    def empty(cls) -> SavedBM25:
        """An index of no documents (a fresh ``bm25s.BM25()`` for an empty collection)."""
        return cls({}, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), 0)

    @classmethod
    def load(cls, folder: Path) -> SavedBM25:
        """What ``bm25s.BM25.save(folder)`` wrote (its default file names).

        Raises:
            OSError, ValueError, KeyError, TypeError: a file is missing or malformed.
        """
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        vocab = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        if not isinstance(params, dict) or not isinstance(vocab, dict):
            raise ValueError(f"{folder}: not a bm25s index")
        arrays = [np.load(folder / f"{name}.csc.index.npy", allow_pickle=False)
                  for name in ("data", "indices", "indptr")]
        nonoccurrence = None
        if params["method"] in _NONOCCURRENCE_METHODS:
            nonoccurrence = np.load(folder / "nonoccurrence_array.index.npy", allow_pickle=False)
        return cls(vocab, *arrays, num_docs=int(params["num_docs"]), dtype=np.dtype(params["dtype"]),
                   int_dtype=np.dtype(params["int_dtype"]), nonoccurrence=nonoccurrence)

    def get_scores(self, tokens: list[str]) -> np.ndarray:
        """The BM25 score of every document for ``tokens`` (tokens outside the vocabulary are ignored)."""
        ids = np.asarray([self.vocab_dict[t] for t in tokens if t in self.vocab_dict], dtype=self.int_dtype)
        if int(ids.max(initial=0)) >= len(self.indptr) - 1 and len(ids):
            raise ValueError("a vocabulary entry points past the index's columns")
        scores = np.zeros(self.num_docs, dtype=self.dtype)
        starts, ends = self.indptr[ids], self.indptr[ids + 1]
        for start, end in zip(starts, ends, strict=True):  # one column at a time, in query order, as bm25s does
            np.add.at(scores, self.indices[start:end], self.data[start:end])
        if self.nonoccurrence is not None:
            scores += self.nonoccurrence[ids].sum()
        return scores
