"""The learned fusion: features worked out by hand, the fitter on data whose answer is known, and the shipped
weights file matching the features the code computes."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from bot.retrieval.ranking import (
    FEATURES,
    RRF_K,
    UNNAMED,
    ChunkLayout,
    LinearRanker,
    RankerFileError,
    chunk_features,
    dense_features,
    fit_logistic,
    lexical_features,
    position_features,
    rrf,
)
from ingest.types import Passage

DATA = Path(__file__).parent / "data"


def _passage(article: str, start: int) -> Passage:
    return Passage(chunk_id=f"{article}-{start}", article_id=article, title="t", url=None, published_at=None,
                   publisher=None, original=None, text="x", start=start, end=start + 1, score=0.0)


def test_rrf_is_an_rrf_term_times_k() -> None:
    values = rrf(np.array([5.0, 9.0, 1.0]))
    assert values.tolist() == pytest.approx([RRF_K / 62, RRF_K / 61, RRF_K / 63])
    assert rrf(np.arange(60, 0, -1, dtype=float))[-1] == pytest.approx(0.5)


def test_layout_knows_positions_and_articles_whatever_the_storage_order() -> None:
    layout = ChunkLayout.of([_passage("a", 500), _passage("b", 0), _passage("a", 0), _passage("a", 250)])
    assert layout.position.tolist() == [2, 0, 0, 1]
    assert layout.article.tolist() == [0, 1, 0, 0] and layout.n_articles == 2
    assert layout.article_best(np.array([1.0, 7.0, 3.0, 2.0])).tolist() == [3.0, 7.0, 3.0, 3.0]


def test_features_of_three_chunks_worked_by_hand() -> None:
    layout = ChunkLayout.of([_passage("a", 0), _passage("a", 100), _passage("b", 0)])
    lexical, dense, sentences = np.array([2.0, 4.0, 0.0]), np.array([0.5, 0.1, 0.9]), np.array([0.0, 3.0, 1.5])
    rows = {name: chunk_features(layout, lexical, dense, sentences, names_outlet=True)[:, i]
            for i, name in enumerate(FEATURES)}
    k = RRF_K
    # BM25 ranks: chunk 1 first, chunk 0 second; chunk 2 has no query word, so its term is 0 despite rank 3.
    top = k / (k + 1)
    assert rows["lexical_rrf"].tolist() == pytest.approx([k / (k + 2), top, 0.0])
    assert rows["dense_rrf"].tolist() == pytest.approx([k / (k + 2), k / (k + 3), top])
    assert rows["sentence_rrf"].tolist() == pytest.approx([0.0, top, k / (k + 2)])
    assert rows["lead"].tolist() == pytest.approx([1.0, 0.5, 1.0])
    assert rows["first_chunk"].tolist() == [1.0, 0.0, 1.0]
    assert rows["article_lexical_rrf"].tolist() == pytest.approx([top, top, 0.0])
    assert rows["article_dense_rrf"].tolist() == pytest.approx([k / (k + 2), k / (k + 2), top])
    assert rows["lexical_share"].tolist() == pytest.approx([0.5, 1.0, 0.0])
    assert rows["cosine"].tolist() == pytest.approx([0.5, 0.1, 0.9])
    assert rows["sentence_share"].tolist() == pytest.approx([0.0, 1.0, 0.5])


def test_features_when_no_word_matches_are_zero_not_nan() -> None:
    layout = ChunkLayout.of([_passage("a", 0), _passage("a", 9)])
    rows = chunk_features(layout, np.zeros(2), np.array([0.2, 0.3]), np.zeros(2), names_outlet=False)
    assert np.isfinite(rows).all()


def test_fitter_weighs_an_informative_feature_up_and_a_misleading_one_down() -> None:
    rng = np.random.default_rng(7)
    labels = (rng.random(4000) < 0.05).astype(float)  # rare relevant rows, as in retrieval
    helpful = labels * 1.5 + rng.normal(size=4000)
    misleading = -labels * 1.5 + rng.normal(size=4000)
    noise = rng.normal(size=4000)
    weights = fit_logistic(np.stack([helpful, misleading, noise], axis=1), labels)
    assert weights[0] > 0.5 and weights[1] < -0.5 and abs(weights[2]) < 0.2, weights


def test_fitter_refuses_a_single_class() -> None:
    with pytest.raises(ValueError, match="both relevant and irrelevant"):
        fit_logistic(np.ones((5, 2)), np.zeros(5))


def test_shipped_weights_match_the_features_and_say_how_they_were_fitted() -> None:
    ranker = LinearRanker.load()
    assert len(ranker.weights) == len(FEATURES) and ranker.scale > 0
    about = ranker.about
    assert about["command"] == "make fit-ranker" and about["crossval_command"] == "make eval-freeform"
    paths = [entry["path"] for entry in about["files"]]
    assert paths[0] == "../shared/data/multihop-rag/dev.json", paths
    assert any(re.fullmatch(r"tests/data/freeform_large_\w+\.json", path) for path in paths), \
        f"fitted on the benchmark and the large free-form sets (#15): {paths}"
    assert "tests/data/freeform_dev.json" not in paths, "the 72 free-form questions stay an untouched check"
    assert all(len(entry["sha256"]) == 64 and entry["queries"] > 0 for entry in about["files"]), about["files"]
    assert about["queries"] == sum(entry["queries"] for entry in about["files"])
    assert about["crossval_folds"] >= 2 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", about["fitted_at"]), about
    # Every signal helps: a negative weight on one of them would mean the fit went wrong.
    for name in ("lexical_rrf", "dense_rrf", "sentence_rrf", "lexical_share", "cosine", "sentence_share"):
        assert ranker.weights[FEATURES.index(name)] > 0, name


def test_shipped_weights_were_fitted_on_the_free_form_files_that_are_here() -> None:
    here = sorted(DATA.glob("freeform_large_*.json"))
    if not here:
        pytest.skip("no tests/data/freeform_large_*.json in this checkout")
    fitted = {entry["path"]: entry["sha256"] for entry in LinearRanker.load().about["files"]}
    for path in here:
        shown = f"tests/data/{path.name}"
        assert fitted.get(shown) == hashlib.sha256(path.read_bytes()).hexdigest(), \
            f"{shown} changed (or is new) since bot/data/ranker.json was fitted: run `make fit-ranker`"


def test_weights_for_other_features_are_refused_with_the_fix(tmp_path: Path) -> None:
    stale = tmp_path / "ranker.json"
    stale.write_text(json.dumps({"features": ["lexical_rrf", "date_match"], "weights": [1.0, 0.4], "scale": 0.01}))
    with pytest.raises(RankerFileError, match="make fit-ranker"):
        LinearRanker.load(stale)
    with pytest.raises(RankerFileError, match="cannot read"):
        LinearRanker.load(tmp_path / "missing.json")


def test_saved_weights_load_back(tmp_path: Path) -> None:
    ranker = LinearRanker(np.arange(len(FEATURES), dtype=float) / 10, 0.01, {"command": "make fit-ranker"})
    ranker.save(tmp_path / "r.json")
    again = LinearRanker.load(tmp_path / "r.json")
    assert again.weights.tolist() == pytest.approx(ranker.weights.tolist()) and again.about == ranker.about
    features = np.ones((2, len(FEATURES)))
    assert again.score(features).tolist() == pytest.approx([0.01 * sum(ranker.weights)] * 2)


@pytest.mark.parametrize("named", [pytest.param(False, id="no-outlet"), pytest.param(True, id="names-outlet")])
def test_scoring_by_parts_equals_scoring_the_whole_feature_matrix(named: bool) -> None:
    # Retrieval scores the position, dense and lexical features apart; fitting sees them as one matrix.
    layout = ChunkLayout.of([_passage("a", 0), _passage("a", 100), _passage("b", 0), _passage("c", 0)])
    lexical, dense, sentences = np.array([2.0, 4.0, 0.0, 1.0]), np.array([0.5, 0.1, 0.9, 0.3]), np.zeros(4)
    ranker = LinearRanker(np.linspace(-1.0, 2.0, len(FEATURES)), 0.01)
    by_parts = (ranker.partial(position_features(layout), names_outlet=named)
                + ranker.partial(dense_features(layout, dense), names_outlet=named)
                + ranker.partial(lexical_features(layout, lexical, sentences), names_outlet=named))
    whole = chunk_features(layout, lexical, dense, sentences, names_outlet=named)
    assert by_parts.tolist() == pytest.approx(ranker.score(whole).tolist())


def test_questions_naming_no_outlet_get_their_own_copies_of_the_signals() -> None:
    # Benchmark questions name outlets and quote; readers' rarely name one and paraphrase: the copies let the fit
    # weigh each signal apart for the two (#15).
    layout = ChunkLayout.of([_passage("a", 0), _passage("a", 100), _passage("b", 0)])
    lexical, dense, sentences = np.array([2.0, 4.0, 0.0]), np.array([0.5, 0.1, 0.9]), np.array([0.0, 3.0, 1.5])
    plain = dict(zip(FEATURES, chunk_features(layout, lexical, dense, sentences, names_outlet=False).T, strict=True))
    named = dict(zip(FEATURES, chunk_features(layout, lexical, dense, sentences, names_outlet=True).T, strict=True))
    assert set(UNNAMED) < set(FEATURES) and len(FEATURES) == 20
    for name in UNNAMED:
        assert plain[f"{name}_unnamed"].tolist() == pytest.approx(plain[name].tolist()), name
        assert named[f"{name}_unnamed"].tolist() == [0.0, 0.0, 0.0], name
        assert named[name].tolist() == pytest.approx(plain[name].tolist()), f"{name} itself does not change"


def test_an_empty_collection_has_an_empty_layout() -> None:
    layout = ChunkLayout.of([])
    empty = chunk_features(layout, *(np.zeros(0),) * 3, names_outlet=False)
    assert layout.n_articles == 0 and empty.shape == (0, len(FEATURES))
