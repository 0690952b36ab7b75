"""Scores read from a saved bm25s index without bm25s (``ingest.bm25_scores``, #16) are bit-identical to bm25s's own,
and a loaded search index ranks exactly as the one just built."""

from __future__ import annotations

import tempfile
from pathlib import Path

import bm25s
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.service import Newsdesk
from ingest.bm25_scores import SavedBM25
from ingest.search_index import STOPWORDS_EN, SearchIndex, query_tokens, tokenize
from tests.budget import within
from tests.conftest import SAMPLES
from tests.test_snapshot import QUESTIONS

#: Few words, so that documents share terms and scores add up over several columns.
WORDS = ["flood", "barrier", "mayor", "cost", "ferry", "strike", "water", "the", "of", "plant", "grass", "vote",
         "floods", "costly", "voted", "x", "é", "東京"]
_TEXT = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
# (A corpus needs one indexed term: bm25s cannot index documents that are all empty, and the search index always
# indexes a header of title, outlet and date; a single document may be empty, as a sentence of stopwords is.)


def _saved(bm25: bm25s.BM25, folder: Path) -> tuple[bm25s.BM25, SavedBM25]:
    bm25.save(str(folder), show_progress=False)
    return bm25s.BM25.load(str(folder), show_progress=False), SavedBM25.load(folder)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.fuzz
@given(corpus=st.lists(_TEXT, min_size=1, max_size=12).filter(lambda docs: any(map(query_tokens, docs))),
       queries=st.lists(_TEXT, min_size=1, max_size=4),
       method=st.sampled_from(["lucene", "robertson", "atire", "bm25l", "bm25+"]))
def test_saved_scores_equal_bm25s_scores(corpus: list[str], queries: list[str], method: str) -> None:
    bm25 = bm25s.BM25(method=method)
    bm25.index(tokenize(corpus), show_progress=False)
    with tempfile.TemporaryDirectory() as folder:
        loaded, saved = within(2.0, _saved, bm25, Path(folder))
    assert saved.vocab_dict == loaded.vocab_dict and saved.num_docs == len(corpus)
    for query in queries:
        known = [t for t in query_tokens(query) if t in saved.vocab_dict]  # as SearchIndex asks
        if not known:
            assert not within(1.0, saved.get_scores, known).any()
            continue
        scores = within(1.0, saved.get_scores, known)
        assert _same(scores, loaded.get_scores(known)) and _same(scores, bm25.get_scores(known)), (query, method)


def test_the_copied_stopwords_are_the_ones_bm25s_tokenize_drops() -> None:
    from bm25s.tokenization import _infer_stopwords

    assert tuple(_infer_stopwords("en")) == STOPWORDS_EN


def test_a_damaged_saved_index_is_an_error_the_search_index_catches(tmp_path: Path) -> None:
    bm25 = bm25s.BM25()
    bm25.index(tokenize(["flood barrier", "ferry strike"]), show_progress=False)
    bm25.save(str(tmp_path), show_progress=False)
    (tmp_path / "params.index.json").write_text("[1, 2]")
    with pytest.raises(ValueError):
        SavedBM25.load(tmp_path)
    (tmp_path / "params.index.json").unlink()
    with pytest.raises(OSError):
        SavedBM25.load(tmp_path)


def test_a_loaded_index_ranks_as_the_index_just_built(desk: Newsdesk, tmp_path: Path) -> None:
    from bot.retrieval.retriever import HybridRetriever

    desk.ingest([SAMPLES])
    built = SearchIndex.build(desk.store)
    built.save(tmp_path / "index")
    loaded = SearchIndex.load(tmp_path / "index")
    assert loaded is not None and isinstance(loaded.bm25, SavedBM25) and isinstance(built.bm25, bm25s.BM25)
    fresh, cached = (HybridRetriever(index, desk.registry, desk.embeddings.embed) for index in (built, loaded))
    for question in QUESTIONS:
        assert _same(loaded.lexical_scores(question), built.lexical_scores(question)), question
        assert _same(loaded.sentence_scores(question), built.sentence_scores(question)), question
        got, expected = cached.retrieve(question, 8), fresh.retrieve(question, 8)
        assert [(p.chunk_id, p.score) for p in got.passages] == [(p.chunk_id, p.score) for p in expected.passages]
