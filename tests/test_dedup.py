"""Near copies with datasketch's MinHash LSH (#17): the same decisions as comparing with every stored signature,
without the scan; honest similarities; signatures stored by the old scheme recomputed once."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.service import Newsdesk
from ingest.articles import read_article_file
from ingest.dedup import NEAR_DUPLICATE_THRESHOLD, NUM_HASHES, DuplicateIndex, from_hex, signature, to_hex
from tests.budget import within
from tests.conftest import SAMPLES

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "multihop-rag" / "corpus.json"
WORDS = [f"w{i}" for i in range(400)]


def _scan(stored: dict[str, np.ndarray], sig: np.ndarray) -> float | None:
    """The best similarity at or above the threshold by comparing with every stored signature (the pre-#17 way)."""
    best = max(((s == sig).mean() for s in stored.values()), default=0.0)
    return float(best) if best >= NEAR_DUPLICATE_THRESHOLD else None


@pytest.mark.fuzz
@settings(deadline=None)
@given(
    seeds=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=12, unique=True),
    edits=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 59), st.sampled_from(WORDS)), max_size=8),
)
def test_lsh_finds_what_a_scan_of_every_signature_finds(seeds: list[int], edits: list[tuple[int, int, str]]) -> None:
    bodies = [random.Random(seed).choices(WORDS, k=60) for seed in seeds]
    stored = {f"a{i}": signature(" ".join(words)) for i, words in enumerate(bodies)}
    index = DuplicateIndex(stored)
    for which, position, word in edits:
        copy = list(bodies[which % len(bodies)])
        copy[position] = word
        sig = signature(" ".join(copy))
        found = within(2, index.closest, sig)
        expected = _scan(stored, sig)
        assert (found[1] if found else None) == expected


def test_a_lookup_compares_only_the_lsh_candidates_not_every_article() -> None:
    rng = np.random.default_rng(17)
    # Random signatures are unrelated articles: two agree on a hash with probability 2^-32.
    index = DuplicateIndex({f"a{i}": rng.integers(0, 2**32, NUM_HASHES, dtype=np.uint32) for i in range(5000)})
    words = random.Random(1).choices(WORDS, k=80)
    body = " ".join(words)
    assert len(index) == 5000
    assert index.candidates(signature(body)) == set(), "an unrelated body is compared with no stored article"
    index.add("original", signature(body))
    near = signature(" ".join([*words[:40], "changed", *words[41:]]))  # Jaccard 71/81 ≈ 0.88
    assert index.candidates(near) == {"original"}
    assert index.closest(near) is not None and index.closest(near)[0] == "original"  # type: ignore[index]
    index.remove("original")
    assert index.closest(near) is None


@pytest.mark.skipif(not CORPUS.exists(), reason="needs ../shared/data/multihop-rag/corpus.json")
def test_two_articles_on_one_story_are_not_a_near_copy() -> None:
    # TechCrunch's two EU-vs-X stories share 1.8% of their 5-shingles; the hand-written MinHash before #17
    # (a*x+b mod 2^61-1 with a*x < 2^63 is nearly monotonic in x, so its 128 "permutations" mostly agreed)
    # rated them 86% alike and stored the second as a copy of the first.
    corpus = json.loads(CORPUS.read_text(encoding="utf-8"))
    first, second = (next(a["body"] for a in corpus if a["title"].startswith(t))
                     for t in ("After warning, the EU opens investigation", "EU fires urgent warning at Elon"))
    similarity = (signature(first) == signature(second)).mean()
    assert similarity < 0.1
    assert DuplicateIndex({"first": signature(first)}).closest(signature(second)) is None


def test_signature_text_names_its_scheme() -> None:
    sig = signature("A body of words long enough to shingle, five words at a time.")
    assert to_hex(sig).startswith("ds1:") and (from_hex(to_hex(sig)) == sig).all()
    assert from_hex(to_hex(sig)[4:]) is None, "a signature of the old scheme (bare hex) is not compared"
    assert from_hex("") is None and from_hex("ds1:zz") is None


def test_signatures_of_the_old_scheme_are_recomputed_once(desk: Newsdesk, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    body = read_article_file(SAMPLES / "02-flood-barrier-council-vote.txt").body
    original = tmp_path / "original.json"
    original.write_text(json.dumps([{"title": "Barrier approved", "body": body, "source": "Meridian Wire",
                                     "url": "https://meridianwire.example/barrier"}]))
    [original_id] = desk.ingest([original]).added
    # As a collection stored before #17 holds it: 1,024 bare hex digits of other hash functions.
    desk.store.set_signature(original_id, "9f" * 512)
    copy = tmp_path / "copy.json"
    copy.write_text(json.dumps([{"title": "Council backs barrier", "url": "https://valleydigest.example/barrier",
                                 "body": body.replace("seven votes to six", "a 7-6 vote")}]))
    with caplog.at_level(logging.WARNING, logger="ingest.pipeline"):
        report = desk.ingest([copy])
    assert [link.copy_of for link in report.syndicated] == [original_id], "the copy is found after the migration"
    assert "older MinHash scheme" in caplog.text
    assert desk.store.signatures()[original_id] == to_hex(signature(body)), "the recomputed signature is stored"
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ingest.pipeline"):
        desk.ingest([copy])
    assert "older MinHash scheme" not in caplog.text, "once"
