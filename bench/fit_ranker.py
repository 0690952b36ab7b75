"""Fit the retrieval ranker's weights (bot/data/ranker.json) on the MultiHop-RAG dev split.

For every dev query with evidence, the chunks the retriever may return (named outlets applied) that rank in
the top CANDIDATES of any of the three signals, plus the evidence chunks, become rows of
``bot.retrieval.ranking.FEATURES``;
a chunk is relevant when it holds a gold fact (the benchmark's own substring rule). A class-balanced logistic
regression weighs the features. Only the dev split is used: the held-out split and the free-form sets check it.

    make fit-ranker          # = .venv/bin/python bench/fit_ranker.py
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.errors import NewsdeskError  # noqa: E402
from bot.evaluation.metrics import normalise  # noqa: E402
from bot.evaluation.multihop import (  # noqa: E402
    load_corpus,
    load_queries,
    open_eval_desk,
    scored_text,
    sha256_of,
    sync_collection,
)
from bot.retrieval.ranking import FEATURES, RANKER_FILE, LinearRanker, fit_logistic  # noqa: E402
from bot.retrieval.retriever import HybridRetriever  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.search_index import load_or_build  # noqa: E402

MULTIHOP = ROOT.parent / "shared" / "data" / "multihop-rag"
#: Rows per query: chunks in the top CANDIDATES of any signal (the ones a ranking has to order).
CANDIDATES = 80
#: Puts the model's logits in the units of the per-part RRF bonus of multi-part questions (measured: 0.005 and
#: 0.02 change dev MRR@10 by under 0.003).
SCALE = 0.01
SIGNAL_COLUMNS = [FEATURES.index(name) for name in ("lexical_rrf", "dense_rrf", "sentence_rrf")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=MULTIHOP / "corpus.json")
    parser.add_argument("--queries", type=Path, default=MULTIHOP / "dev.json")
    parser.add_argument("--output", type=Path, default=RANKER_FILE)
    args = parser.parse_args()

    desk = open_eval_desk(Newsdesk(BotSettings()))
    corpus = load_corpus(args.corpus)
    sync_collection(desk, corpus)
    # Features do not depend on the weights: a placeholder ranker lets this run before any weights exist.
    index = load_or_build(desk.store, desk.index_folder)
    retriever = HybridRetriever(index, desk.registry, desk.embeddings.embed,
                                ranker=LinearRanker(np.zeros(len(FEATURES)), SCALE))
    scored = [normalise(scored_text(p, corpus)) for p in retriever.index.passages]
    queries = [q for q in load_queries(args.queries) if not q.is_null and q.facts]
    rows, labels = [], []
    for query in queries:
        facts = [normalise(f) for f in query.facts]
        features, _ = retriever.features(query.query)
        allowed = np.flatnonzero(retriever.candidates(query.query))
        chosen = set()
        for column in SIGNAL_COLUMNS:
            chosen |= set(allowed[np.argsort(-features[allowed, column], kind="stable")[:CANDIDATES]].tolist())
        chosen |= {int(i) for i in allowed if any(f in scored[i] for f in facts)}
        picked = sorted(chosen)
        rows.append(features[picked])
        labels.append(np.array([any(f in scored[i] for f in facts) for i in picked], dtype=np.float64))
    matrix, target = np.vstack(rows), np.concatenate(labels)
    weights = fit_logistic(matrix, target)
    about = {
        "fitted_on": str(args.queries.name), "queries_sha256": sha256_of(args.queries), "queries": len(queries),
        "rows": len(target), "relevant_rows": int(target.sum()), "candidates_per_signal": CANDIDATES,
        "command": "make fit-ranker", "fitted_at": datetime.now(UTC).strftime("%Y-%m-%d"),
    }
    LinearRanker(weights, SCALE, about).save(args.output)
    for name, weight in zip(FEATURES, weights, strict=True):
        print(f"{name:22s} {weight:+.3f}")
    print(f"wrote {args.output} ({len(queries)} queries, {len(target)} rows, {int(target.sum())} relevant)")


if __name__ == "__main__":
    try:
        main()
    except NewsdeskError as error:  # a missing corpus or queries file: one line, not a traceback
        sys.exit(f"fit-ranker: {error}")
