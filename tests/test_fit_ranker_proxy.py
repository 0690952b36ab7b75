"""The feature-screening proxy (bench/fit_ranker_proxy.py) on rows whose answer is known: each fold is scored by a
fit that never saw it, only questions naming no outlet are fitted and scored, and the paired interval says when a
difference is noise."""

from __future__ import annotations

import numpy as np

from bench.fit_ranker import Rows
from bench.fit_ranker_proxy import MISSED, crossvalidated_ranks, paired_difference, reciprocal_ranks

SIGNAL, NOISE = 0, 1


def _rows(rng: np.random.Generator, queries: int, *, named: bool = False, sign: float = 1.0) -> list[Rows]:
    """Queries of 30 candidates whose one relevant chunk (a random one) stands out in column SIGNAL by ``sign``."""
    rows = []
    for _ in range(queries):
        labels = np.zeros(30)
        labels[rng.integers(30)] = 1.0
        features = rng.normal(size=(30, 2))
        features[:, SIGNAL] += sign * 5.0 * labels
        rows.append((features, labels, named))
    return rows


def test_the_informative_column_ranks_the_evidence_first_and_noise_does_not() -> None:
    rng = np.random.default_rng(5)
    rows = _rows(rng, 60)
    fold_of = [i % 3 for i in range(len(rows))]
    with_signal = crossvalidated_ranks([], rows, fold_of, [SIGNAL, NOISE])
    noise_only = crossvalidated_ranks([], rows, fold_of, [NOISE])
    assert len(with_signal) == len(rows)
    assert np.mean(with_signal == 1) > 0.9, with_signal
    assert reciprocal_ranks(noise_only).mean() < 0.4, noise_only


def test_questions_naming_an_outlet_are_neither_scored_nor_fitted_on() -> None:
    rng = np.random.default_rng(6)
    # The dev split's questions naming an outlet rank the other way round: fitted on, they would spoil the fit.
    dev = _rows(rng, 300, named=True, sign=-1.0) + _rows(rng, 5)
    rows = _rows(rng, 40) + _rows(rng, 10, named=True)
    ranks = crossvalidated_ranks(dev, rows, [i % 4 for i in range(len(rows))], [SIGNAL, NOISE])
    assert len(ranks) == 40
    assert np.mean(ranks == 1) > 0.9, ranks


def test_reciprocal_ranks_stop_at_the_depth() -> None:
    assert reciprocal_ranks(np.array([1, 2, 10, 11, MISSED])).tolist() == [1.0, 0.5, 0.1, 0.0, 0.0]


def test_a_paired_difference_inside_its_interval_is_noise() -> None:
    before = np.array([1.0, 0.5, 1.0, 0.0, 1.0, 0.5] * 10)
    assert paired_difference(before, before) == (0.0, 0.0)
    one_moved = before.copy()
    one_moved[1] = 1.0  # one question from rank 2 to rank 1
    mean, half = paired_difference(before, one_moved)
    assert mean == 0.5 / len(before) and half > mean
    every_moved = np.where(before == 0.5, 1.0, before)
    mean, half = paired_difference(before, every_moved)
    assert mean > half > 0
