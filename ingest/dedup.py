"""Syndicated copies: the same story published by two sites is one story with two publications.

Exact copies share an article id (a hash of the normalised body). Near copies (a republisher trims a
line, adds a credit, fixes a typo) are found with MinHash over word 5-shingles (datasketch): 128 hash
functions estimate the Jaccard similarity of two bodies' shingle sets to within about ±0.09 (1/sqrt(128)),
and bodies at or above ``NEAR_DUPLICATE_THRESHOLD`` (0.8) count as copies. Measured on real near copies in
tests/test_dedup.py; unrelated news articles on the same topic stay far below (≈ 0.0-0.1).

Finding the closest copy does not compare a new body with every stored one: a MinHash LSH index (datasketch)
returns the few stored articles that share a band of the signature, and only those are compared
(docs/benchmarks.md "Near-duplicate lookup" measures it at 1k, 10k and 100k articles). Our own types stay at
the boundary: signatures are numpy arrays, stored as text by ``to_hex``.
"""

from __future__ import annotations

import numpy as np
from datasketch import MinHash, MinHashLSH

from ingest.articles import normalise_body

NUM_HASHES = 128
SHINGLE_WORDS = 5
NEAR_DUPLICATE_THRESHOLD = 0.8
#: Only the body's first 200,000 characters (about 33,000 words, far beyond any news story) are shingled,
#: so a signature costs bounded time and memory whatever the body's size: a 19.6 MB body took 23 s and
#: 5.6 GB (#10). Copies of a longer text still share that opening, so they are still found.
SHINGLE_SAMPLE_CHARS = 200_000
#: Shingles hashed per batch: datasketch builds a batch x 128 matrix of uint64, so 8192 keeps it at 8 MB.
_BLOCK = 8192
#: LSH bands x rows (32 x 4 = 128 hashes). A pair becomes a candidate with probability 1 - (1 - s^4)^32:
#: at s = 0.8 that is 1 - 0.59^32 ≈ 1 - 5e-8, so no copy at the threshold is missed and decisions are the
#: same as comparing with every stored signature; at s = 0.1 (unrelated news) it is ≈ 0.003, so few
#: candidates are checked. Each candidate is then compared on all 128 hashes against the 0.8 threshold.
_LSH_BANDS_ROWS = (32, 4)
#: The signature scheme, written before the hex so that signatures stored by an older scheme (the hand-written
#: MinHash before #17, whose hash functions differ) are recognised and recomputed rather than compared.
SCHEME = "ds1"
# A fixed seed and permutation scheme: signatures written by one run must compare with those of the next
# (datasketch 2.0 changed its default scheme once already).
_SEED = 20261129
_PERMUTATIONS = "affine32"
# Drawn once: a MinHash built from a seed draws its 128 permutations again each time (≈ 0.3 ms).
_TEMPLATE = MinHash(num_perm=NUM_HASHES, seed=_SEED, scheme=_PERMUTATIONS)


def _shingles(body: str) -> list[bytes]:
    words = normalise_body(body[:SHINGLE_SAMPLE_CHARS]).casefold().split()
    if len(words) < SHINGLE_WORDS:
        words = words + [""] * (SHINGLE_WORDS - len(words))
    grams = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}
    return sorted(g.encode() for g in grams)


def _minhash(sig: np.ndarray) -> MinHash:
    return MinHash(num_perm=NUM_HASHES, seed=_SEED, hashvalues=sig.astype(np.uint64),
                   permutations=_TEMPLATE.permutations, scheme=_PERMUTATIONS)


def signature(body: str) -> np.ndarray:
    """MinHash signature (128 uint32 values) of a body's word 5-shingles."""
    minhash = MinHash(num_perm=NUM_HASHES, seed=_SEED, permutations=_TEMPLATE.permutations, scheme=_PERMUTATIONS)
    shingles = _shingles(body)
    for start in range(0, len(shingles), _BLOCK):
        minhash.update_batch(shingles[start : start + _BLOCK])
    # datasketch keeps each value below 2^32, so uint32 loses nothing.
    return minhash.hashvalues.astype(np.uint32)


def to_hex(sig: np.ndarray) -> str:
    return f"{SCHEME}:" + sig.astype("<u4").tobytes().hex()


def from_hex(text: str) -> np.ndarray | None:
    """The signature written by ``to_hex``; None for one of an older scheme (or none), which must be recomputed."""
    scheme, _, digits = text.partition(":")
    if scheme != SCHEME or len(digits) != NUM_HASHES * 8:
        return None
    try:
        return np.frombuffer(bytes.fromhex(digits), dtype="<u4").astype(np.uint32)
    except ValueError:
        return None


class DuplicateIndex:
    """Signatures of stored articles, for finding the closest near copy of a new body."""

    def __init__(self, signatures: dict[str, np.ndarray] | None = None) -> None:
        self._signatures: dict[str, np.ndarray] = {}
        self._lsh = MinHashLSH(num_perm=NUM_HASHES, params=_LSH_BANDS_ROWS)
        for article_id, sig in (signatures or {}).items():
            self.add(article_id, sig)

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, article_id: str, sig: np.ndarray) -> None:
        self.remove(article_id)
        self._signatures[article_id] = sig
        self._lsh.insert(article_id, _minhash(sig), check_duplication=False)

    def remove(self, article_id: str) -> None:
        if self._signatures.pop(article_id, None) is not None:
            self._lsh.remove(article_id)

    def candidates(self, sig: np.ndarray) -> set[str]:
        """The stored articles that share at least one LSH band with ``sig``: the only ones worth comparing."""
        return set(self._lsh.query(_minhash(sig)))

    def closest(self, sig: np.ndarray, *, exclude: str | None = None) -> tuple[str, float] | None:
        """The stored article most similar to ``sig`` at or above the threshold, with its similarity."""
        best: tuple[str, float] | None = None
        # Sorted so that ties go to the same article whatever order the LSH buckets return.
        for candidate in sorted(self.candidates(sig)):
            if candidate == exclude:
                continue
            similarity = float((self._signatures[candidate] == sig).mean())
            if similarity >= NEAR_DUPLICATE_THRESHOLD and (best is None or similarity > best[1]):
                best = (candidate, similarity)
        return best
