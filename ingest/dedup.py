"""Syndicated copies: the same story published by two sites is one story with two publications.

Exact copies share an article id (a hash of the normalised body). Near copies (a republisher trims a
line, adds a credit, fixes a typo) are found with MinHash over word 5-shingles: 128 hash functions
estimate the Jaccard similarity of two bodies' shingle sets to within about ±0.09 (1/sqrt(128)), and
bodies at or above ``NEAR_DUPLICATE_THRESHOLD`` (0.8) count as copies. Measured on real near copies in
tests/test_dedup.py; unrelated news articles on the same topic stay far below (≈ 0.0-0.1).
"""

from __future__ import annotations

import hashlib

import numpy as np

from ingest.articles import normalise_body

NUM_HASHES = 128
SHINGLE_WORDS = 5
NEAR_DUPLICATE_THRESHOLD = 0.8
#: Only the body's first 200,000 characters (about 33,000 words, far beyond any news story) are shingled,
#: so a signature costs bounded time and memory whatever the body's size: a 19.6 MB body took 23 s and
#: 5.6 GB (#10). Copies of a longer text still share that opening, so they are still found.
SHINGLE_SAMPLE_CHARS = 200_000
#: Shingles hashed per block: the 128 x block matrix of uint64 stays at 8 MB.
_BLOCK = 8192
_PRIME = np.uint64((1 << 61) - 1)
_MASK32 = (1 << 32) - 1
# Fixed coefficients: signatures written by one run must compare with those of the next.
_rng = np.random.default_rng(20261129)
_A = _rng.integers(1, 1 << 31, size=NUM_HASHES, dtype=np.uint64)
_B = _rng.integers(0, 1 << 31, size=NUM_HASHES, dtype=np.uint64)


def _shingles(body: str) -> np.ndarray:
    words = normalise_body(body[:SHINGLE_SAMPLE_CHARS]).casefold().split()
    if len(words) < SHINGLE_WORDS:
        words = words + [""] * (SHINGLE_WORDS - len(words))
    grams = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}
    return np.array(
        [int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little") & _MASK32 for g in grams],
        dtype=np.uint64,
    )


def signature(body: str) -> np.ndarray:
    """MinHash signature (128 uint32 values) of a body's word 5-shingles."""
    shingles = _shingles(body)
    minimum = np.full(NUM_HASHES, _PRIME, dtype=np.uint64)
    for start in range(0, len(shingles), _BLOCK):
        block = shingles[start : start + _BLOCK]
        # a < 2^31 and x < 2^32, so a*x + b < 2^63: no uint64 overflow before the modulo.
        hashed = (_A[:, None] * block[None, :] + _B[:, None]) % _PRIME
        minimum = np.minimum(minimum, hashed.min(axis=1))
    return (minimum & np.uint64(_MASK32)).astype(np.uint32)


def to_hex(sig: np.ndarray) -> str:
    return sig.astype("<u4").tobytes().hex()


def from_hex(text: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(text), dtype="<u4").astype(np.uint32)


class DuplicateIndex:
    """Signatures of stored articles, for finding the closest near copy of a new body."""

    def __init__(self, signatures: dict[str, np.ndarray] | None = None) -> None:
        self._ids: list[str] = []
        # Grown by doubling, so adding n articles one by one costs O(n) copies, not O(n^2).
        self._matrix = np.zeros((16, NUM_HASHES), dtype=np.uint32)
        for article_id, sig in (signatures or {}).items():
            self.add(article_id, sig)

    def add(self, article_id: str, sig: np.ndarray) -> None:
        if len(self._ids) == len(self._matrix):
            self._matrix = np.vstack([self._matrix, np.zeros_like(self._matrix)])
        self._matrix[len(self._ids)] = sig
        self._ids.append(article_id)

    def remove(self, article_id: str) -> None:
        keep = [i for i, known in enumerate(self._ids) if known != article_id]
        self._matrix[: len(keep)] = self._matrix[keep]
        self._ids = [self._ids[i] for i in keep]

    def closest(self, sig: np.ndarray, *, exclude: str | None = None) -> tuple[str, float] | None:
        """The stored article most similar to ``sig`` at or above the threshold, with its similarity."""
        if not self._ids:
            return None
        similarity = (self._matrix[: len(self._ids)] == sig[None, :]).mean(axis=1)
        for index in np.argsort(-similarity):
            if similarity[index] < NEAR_DUPLICATE_THRESHOLD:
                return None
            if self._ids[index] != exclude:
                return self._ids[index], float(similarity[index])
        return None
