"""Screen a ranking feature in seconds: the cross-validated free-form MRR@10 of the fit with and without it.

``make eval-freeform`` scores every fold through the whole pipeline and takes many minutes on a loaded machine.
This proxy (docs/retrieval-notes.md, "Proxy") ranks each free-form question's candidates (the fit's own rows,
``bench/fit_ranker.query_rows``) by the fit of its fold — the questions naming no outlet of the dev split and of
the other four folds, over the base features kept — with no slots or per-article cap. Since questions naming
no outlet no longer get clause slots, it reads what the pipeline reads (0.819 against 0.819).

``--without NAME`` (repeatable) fits a second time without those base features and prints both, with the mean
per-question difference of the reciprocal rank and its 95% interval (paired over the same questions): one
question moved from rank 2 to 1 is worth 0.0017 of MRR@10, so a gain under the interval is noise. To screen a
new feature, add it to ``bot/retrieval/ranking.py`` and run this with ``--without`` it.

    .venv/bin/python bench/fit_ranker_proxy.py --without window_coverage
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fit_ranker import Rows, arguments, freeform_files, open_training, query_rows, trainable  # noqa: E402
from bot.errors import NewsdeskError  # noqa: E402
from bot.evaluation.folds import assign_folds  # noqa: E402
from bot.evaluation.metrics import K  # noqa: E402
from bot.evaluation.multihop import load_queries, load_query_files  # noqa: E402
from bot.retrieval.ranking import BASE_FEATURES, FEATURES, fit_listwise  # noqa: E402

#: A relevant chunk ranked below every candidate: the question counts as a miss.
MISSED = 10**6


def first_relevant_ranks(held_out: Sequence[Rows], training: Sequence[Rows], columns: Sequence[int]) -> np.ndarray:
    """Per held-out question, the rank (1 = first) of its best-ranked relevant candidate under the listwise fit on
    ``training`` over ``columns`` of the rows (MISSED when none of its candidates is relevant)."""
    weights = fit_listwise([(features[:, columns], labels) for features, labels, _ in training])
    ranks = []
    for features, labels, _ in held_out:
        order = np.argsort(-(features[:, columns] @ weights), kind="stable")
        relevant = np.flatnonzero(labels[order] > 0)
        ranks.append(int(relevant[0]) + 1 if len(relevant) else MISSED)
    return np.array(ranks, dtype=np.int64)


def crossvalidated_ranks(dev_rows: Sequence[Rows], rows: Sequence[Rows], fold_of: Sequence[int],
                         columns: Sequence[int]) -> np.ndarray:
    """``first_relevant_ranks`` of every free-form question naming no outlet (``rows``, fold ``fold_of[i]``),
    each scored by the fit on the dev split's and the other folds' questions naming no outlet (what the
    ``_unnamed`` weights of ``bench/fit_ranker.fit`` are)."""
    unnamed_dev = [r for r in dev_rows if not r[2]]
    ranks = np.zeros(len(rows), dtype=np.int64)
    scored = [i for i, r in enumerate(rows) if not r[2]]
    for fold in sorted({fold_of[i] for i in scored}):
        held = [i for i in scored if fold_of[i] == fold]
        training = unnamed_dev + [rows[i] for i in scored if fold_of[i] != fold]
        ranks[held] = first_relevant_ranks([rows[i] for i in held], training, columns)
    return ranks[scored]


def reciprocal_ranks(ranks: np.ndarray, depth: int = K) -> np.ndarray:
    """1 / rank within the top ``depth``, else 0 (MRR@depth is their mean)."""
    return np.where(ranks <= depth, 1.0 / ranks, 0.0)


def summary(ranks: np.ndarray) -> str:
    return (f"Hits@4 {np.mean(ranks <= 4):.3f} / Hits@10 {np.mean(ranks <= 10):.3f} / "
            f"MRR@10 {reciprocal_ranks(ranks).mean():.4f} ({len(ranks)} questions)")


def paired_difference(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    """The mean of ``after - before`` (per-question reciprocal ranks) and the half-width of its 95% interval."""
    difference = after - before
    if len(difference) < 2:
        return float(difference.mean()) if len(difference) else 0.0, float("inf")
    return float(difference.mean()), float(1.96 * difference.std(ddof=1) / np.sqrt(len(difference)))


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--without", action="append", default=[], choices=BASE_FEATURES, metavar="FEATURE",
                        help="a base feature to leave out of the second fit (repeatable)")
    args = parser.parse_args()
    training = open_training(args.corpus)
    dev_rows = [query_rows(training, q) for q in trainable(load_queries(args.queries))]
    # Folds as `make eval-freeform` assigns them: over every free-form question, absent topics included.
    every = load_query_files(freeform_files(args.freeform))
    fold_all = assign_folds(every, args.folds)
    fold_of = [fold for query, fold in zip(every, fold_all, strict=True) if trainable([query])]
    rows = [query_rows(training, query) for query in trainable(every)]
    every_column = [FEATURES.index(name) for name in BASE_FEATURES]
    full = crossvalidated_ranks(dev_rows, rows, fold_of, every_column)
    print(f"all {len(BASE_FEATURES)} base features: {summary(full)}")
    if args.without:
        kept = [FEATURES.index(name) for name in BASE_FEATURES if name not in args.without]
        fewer = crossvalidated_ranks(dev_rows, rows, fold_of, kept)
        mean, half = paired_difference(reciprocal_ranks(fewer), reciprocal_ranks(full))
        print(f"without {', '.join(args.without)}: {summary(fewer)}")
        print(f"MRR@10 with - without: {mean:+.4f} ± {half:.4f} (95%, paired over the questions)")


if __name__ == "__main__":
    try:
        main()
    except NewsdeskError as error:
        sys.exit(f"fit-ranker-proxy: {error}")
