"""``make fit-ranker``'s fit (bench/fit_ranker.py) on rows whose answer is known: questions naming an outlet and
questions naming none each get weights fitted on their own kind (#15)."""

from __future__ import annotations

import numpy as np

from bench.fit_ranker import MIN_UNNAMED, Rows, fit
from bot.retrieval.ranking import BASE_FEATURES, FEATURES


def _rows(rng: np.random.Generator, informative: str, named: bool, queries: int) -> list[Rows]:
    """Queries whose relevant chunks stand out only in the ``informative`` signal."""
    rows = []
    for _ in range(queries):
        labels = np.zeros(40)
        labels[:2] = 1.0
        features = rng.normal(size=(40, len(FEATURES)))
        features[:, FEATURES.index(informative)] += 2.0 * labels
        rows.append((features, labels, named))
    return rows


def test_each_kind_of_question_is_scored_by_its_own_fit() -> None:
    rng = np.random.default_rng(3)
    ranker = fit(_rows(rng, "lexical_share", True, 200) + _rows(rng, "cosine", False, 200))
    weights = dict(zip(FEATURES, ranker.weights, strict=True))
    named = {name: weights[name] for name in BASE_FEATURES}
    unnamed = {name: weights[name] + weights[f"{name}_unnamed"] for name in BASE_FEATURES}
    assert named["lexical_share"] > 1.0 > abs(named["cosine"]) * 5, named
    assert unnamed["cosine"] > 1.0 > abs(unnamed["lexical_share"]) * 5, unnamed


def test_too_few_questions_naming_no_outlet_share_the_other_fit() -> None:
    rng = np.random.default_rng(4)
    ranker = fit(_rows(rng, "lexical_share", True, 80) + _rows(rng, "cosine", False, MIN_UNNAMED - 1))
    copies = [ranker.weights[FEATURES.index(f"{name}_unnamed")] for name in BASE_FEATURES]
    assert copies == [0.0] * len(BASE_FEATURES), "a handful of such questions (the dev split has 5) is no fit"
