"""Fit the retrieval ranker's weights (bot/data/ranker.json) on the MultiHop-RAG dev split and the large free-form sets.

For every query with evidence, the chunks the retriever may return (named outlets applied) that rank in the top
CANDIDATES of any of the three signals, plus the evidence chunks, become rows of ``bot.retrieval.ranking.FEATURES``;
a chunk is relevant when it holds a gold fact (the benchmark's own substring rule). A listwise loss (each question's
relevant chunks against its other candidates, ``fit_listwise``) weighs the features: one fit on the questions that
name an outlet, one on those that name none (see ``fit``). Two kinds of question go in: the benchmark's dev split
(which quotes the articles' wording and names outlets) and the free-form sets written as readers ask
(``--freeform``, default ``tests/data/freeform_large_*.json``). Never ``tests/data/freeform_dev.json``: those 72
questions stay an untouched check, and the benchmark's held-out split is for checking too. ``make eval-freeform``
(``bench/crossval_ranker.py``) cross-validates the same fit; ranker.json records the files, their sha256, the fold
count and the date.

    make fit-ranker          # = .venv/bin/python bench/fit_ranker.py
    .venv/bin/python bench/fit_ranker.py --freeform /tmp/part_a.json --freeform /tmp/part_b.json
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.errors import NewsdeskError  # noqa: E402
from bot.evaluation.metrics import normalise  # noqa: E402
from bot.evaluation.multihop import (  # noqa: E402
    Corpus,
    EvalDataError,
    EvalQuery,
    load_corpus,
    load_queries,
    load_query_files,
    open_eval_desk,
    scored_text,
    sha256_of,
    sync_collection,
)
from bot.retrieval.ranking import BASE_FEATURES, FEATURES, RANKER_FILE, LinearRanker, fit_listwise  # noqa: E402
from bot.retrieval.retriever import HybridRetriever  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.search_index import load_or_build  # noqa: E402

MULTIHOP = ROOT.parent / "shared" / "data" / "multihop-rag"
#: The large free-form sets fitted on by default (parts written by different people, merged into tests/data).
FREEFORM_GLOB = "freeform_large_*.json"
#: The 72 free-form questions that no fit may see.
UNTOUCHED = ROOT / "tests" / "data" / "freeform_dev.json"
#: Cross-validation folds of the free-form questions (``bench/crossval_ranker.py``); recorded in ranker.json.
FOLDS = 5
#: Rows per query: chunks in the top CANDIDATES of any signal (the ones a ranking has to order).
CANDIDATES = 80
#: Puts the model's logits in the units of the per-part RRF bonus of multi-part questions (measured: 0.005 and
#: 0.02 change dev MRR@10 by under 0.003).
SCALE = 0.01
SIGNAL_COLUMNS = [FEATURES.index(name) for name in ("lexical_rrf", "dense_rrf", "sentence_rrf")]

#: A ranker for the questions that name no outlet is fitted only with at least this many of them (with fewer,
#: such questions are scored by the other fit: the benchmark's dev split holds 5).
MIN_UNNAMED = 50
BASE_COLUMNS = [FEATURES.index(name) for name in BASE_FEATURES]

#: One query's candidate rows, their labels, and whether the question names an outlet.
Rows = tuple[np.ndarray, np.ndarray, bool]


@dataclass(frozen=True)
class Training:
    """The eval collection, its corpus and a retriever whose features do not depend on any weights."""

    desk: Newsdesk
    corpus: Corpus
    retriever: HybridRetriever
    scored: list[str]  # per chunk, the normalised text a gold fact is looked for in


def freeform_files(given: Sequence[Path] | None) -> list[Path]:
    """``given``, or every ``tests/data/freeform_large_*.json``; never the untouched 72-question set."""
    files = list(given) if given else sorted((ROOT / "tests" / "data").glob(FREEFORM_GLOB))
    for path in files:
        if path.resolve() == UNTOUCHED.resolve():
            raise EvalDataError(f"{path} is the untouched check set: the ranker is never fitted on it")
    return files


def open_training(corpus_path: Path) -> Training:
    desk = open_eval_desk(Newsdesk(BotSettings()))
    corpus = load_corpus(corpus_path)
    sync_collection(desk, corpus)
    # Features do not depend on the weights: a placeholder ranker lets this run before any weights exist.
    index = load_or_build(desk.store, desk.index_folder)
    retriever = HybridRetriever(index, desk.registry, desk.embeddings.embed,
                                ranker=LinearRanker(np.zeros(len(FEATURES)), SCALE))
    scored = [normalise(scored_text(p, corpus)) for p in retriever.index.passages]
    return Training(desk, corpus, retriever, scored)


def trainable(queries: Sequence[EvalQuery]) -> list[EvalQuery]:
    """The queries a ranker can learn from: not null, with gold facts."""
    return [q for q in queries if not q.is_null and q.facts]


def query_rows(training: Training, query: EvalQuery) -> Rows:
    """One query's rows (features of its candidate chunks), labels (1: the chunk holds a gold fact) and whether
    it names an outlet."""
    retriever, scored = training.retriever, training.scored
    facts = [normalise(f) for f in query.facts]
    features, _ = retriever.features(query.query)
    allowed = np.flatnonzero(retriever.candidates(query.query))
    chosen = set()
    for column in SIGNAL_COLUMNS:
        chosen |= set(allowed[np.argsort(-features[allowed, column], kind="stable")[:CANDIDATES]].tolist())
    chosen |= {int(i) for i in allowed if any(f in scored[i] for f in facts)}
    picked = sorted(chosen)
    named = any(m.keys for m in retriever.matcher.find(query.query))
    return (features[picked], np.array([any(f in scored[i] for f in facts) for i in picked], dtype=np.float64),
            named)


def _fit_base(rows: Sequence[Rows]) -> np.ndarray:
    return fit_listwise([(features[:, BASE_COLUMNS], labels) for features, labels, _ in rows])


def fit(rows: Sequence[Rows], about: dict | None = None) -> LinearRanker:
    """Two fits in one set of weights: the base weights on the questions that name an outlet, and the
    ``_unnamed`` copies the difference that makes the weights of questions naming none their own fit
    (measured against one fit for both and against copies fitted jointly: docs/retrieval-notes.md)."""
    named = [r for r in rows if r[2]]
    unnamed = [r for r in rows if not r[2]]
    base = _fit_base(named if len(named) >= MIN_UNNAMED else rows)
    difference = _fit_base(unnamed) - base if len(unnamed) >= MIN_UNNAMED else np.zeros(len(base))
    return LinearRanker(np.concatenate([base, difference]), SCALE, about or {})


def provenance(files: Sequence[tuple[Path, int]], rows: Sequence[Rows], folds: int) -> dict:
    """What ranker.json records about its fit: every file (name, sha256, queries used), the rows, the folds."""
    return {
        "fitted_on": " + ".join(path.name for path, _ in files),
        "files": [{"path": _shown(path), "sha256": sha256_of(path), "queries": n} for path, n in files],
        "queries": sum(n for _, n in files), "rows": sum(len(t) for _, t, _ in rows),
        "relevant_rows": int(sum(t.sum() for _, t, _ in rows)), "candidates_per_signal": CANDIDATES,
        "objective": "listwise: softmax over each question's candidates (bot.retrieval.ranking.fit_listwise)",
        "queries_naming_an_outlet": sum(named for _, _, named in rows), "min_unnamed": MIN_UNNAMED,
        "crossval_folds": folds, "crossval_grouping": "free-form questions grouped by evidence article (union-find)",
        "crossval_command": "make eval-freeform", "command": "make fit-ranker",
        "fitted_at": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def _shown(path: Path) -> str:
    """A path relative to the repository (or its parent, for ../shared) when it is inside; else as given."""
    for base, prefix in ((ROOT, ""), (ROOT.parent, "../")):
        try:
            return prefix + str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--corpus", type=Path, default=MULTIHOP / "corpus.json")
    parser.add_argument("--queries", type=Path, default=MULTIHOP / "dev.json", help="the benchmark's dev split")
    parser.add_argument("--freeform", type=Path, action="append",
                        help=f"a free-form set to fit on (repeatable; default: tests/data/{FREEFORM_GLOB})")
    parser.add_argument("--folds", type=int, default=FOLDS, help="cross-validation folds of the free-form questions")
    return parser


def main() -> None:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=RANKER_FILE)
    args = parser.parse_args()
    files = freeform_files(args.freeform)
    training = open_training(args.corpus)
    dev = trainable(load_queries(args.queries))
    freeform = trainable(load_query_files(files))
    rows = [query_rows(training, q) for q in dev + freeform]
    counted = [(args.queries, len(dev))] + [(path, len(trainable(load_queries(path)))) for path in files]
    ranker = fit(rows, provenance(counted, rows, args.folds))
    ranker.save(args.output)
    for name, weight in zip(FEATURES, ranker.weights, strict=True):
        print(f"{name:26s} {weight:+.3f}")
    print(f"wrote {args.output} ({len(dev)} dev + {len(freeform)} free-form queries, {ranker.about['rows']} rows, "
          f"{ranker.about['relevant_rows']} relevant)")
    if not files:
        print("fit-ranker: no free-form files: fitted on the benchmark dev split only", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except NewsdeskError as error:  # a missing corpus or queries file: one line, not a traceback
        sys.exit(f"fit-ranker: {error}")
