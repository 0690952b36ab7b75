"""Learned fusion of the retrieval signals: one score per chunk from a linear model over named features.

Reciprocal rank fusion with hand-set weights throws away how *sure* each signal is (a cosine of 0.86 and one of
0.41 can both be rank 1). Here every chunk gets a feature vector — the RRF terms of BM25, dense and best-sentence
BM25, the same signals as scores (so a confident match counts for more), the best rank its article reaches,
and where the chunk sits in its article (news puts the key facts first), some of them again for questions that
name no outlet — and a logistic model, fitted on the MultiHop-RAG dev split and the large free-form sets by
``make fit-ranker`` (``bench/fit_ranker.py``), weighs them.
The fitted weights ship in ``bot/data/ranker.json`` with the command, data and date that produced them.

Pure numpy: no I/O except loading the weights file.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.types import Passage

RRF_K = 60
#: Chunks ranked exactly per signal; the rest share the next rank (see ``rrf``).
RANK_DEPTH = 1000
RANKER_FILE = Path(__file__).parents[1] / "data" / "ranker.json"

#: The signals of one chunk for one question, in column order.
BASE_FEATURES = (
    "lexical_rrf",          # RRF_K / (RRF_K + BM25 rank), 0 when no query word occurs
    "dense_rrf",            # the same for the cosine of the chunk vector
    "sentence_rrf",         # the same for the BM25 score of the chunk's best sentence
    "lead",                 # 1 / (1 + position of the chunk in its article)
    "article_lexical_rrf",  # the best lexical_rrf among the chunks of the same article
    "article_dense_rrf",    # the best dense_rrf among the chunks of the same article
    "lexical_share",        # BM25 score / the best BM25 score for this question
    "cosine",               # the cosine itself
    "sentence_share",       # best-sentence BM25 / the best such score for this question
    "first_chunk",          # 1 for the article's first chunk
)
#: Signals weighed apart when the question names no outlet: all of them. The benchmark's questions name outlets
#: (99% of the dev split) and quote their articles' words; readers' questions rarely name one and paraphrase
#: (1 in 300 of the large free-form sets). One set of weights for both trusted word overlap too much for readers
#: and, fitted on both, lost benchmark MRR; the ``_unnamed`` copies (the values, or 0 when the question names an
#: outlet) carry the difference between the two fits, so each kind is scored by weights fitted on its own kind
#: (``bench/fit_ranker.py``; cross-validated in docs/evaluation-freeform.md, measured in docs/retrieval-notes.md).
UNNAMED = BASE_FEATURES
#: The model's inputs, in column order. ``ranker.json`` names them too; loading fails if the two disagree.
FEATURES = BASE_FEATURES + tuple(f"{name}_unnamed" for name in UNNAMED)


class RankerFileError(ValueError):
    """``ranker.json`` is missing, unreadable or fitted for other features."""


@dataclass(frozen=True)
class ChunkLayout:
    """Where each chunk sits: its position in its article (0 = first) and its article's number, plus the
    chunks grouped by article (``by_article`` sorts them so; ``starts`` and ``sizes`` delimit the groups)."""

    position: np.ndarray
    article: np.ndarray
    by_article: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray

    @classmethod
    def of(cls, passages: list[Passage]) -> ChunkLayout:
        numbers: dict[str, int] = {}
        article = np.array([numbers.setdefault(p.article_id, len(numbers)) for p in passages], dtype=np.int64)
        by_article = np.argsort(article, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(article[by_article]) != 0]) if len(article) else article
        sizes = np.diff(np.r_[starts, len(article)]).astype(np.int64)
        position = np.zeros(len(passages), dtype=np.float64)
        for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
            members = by_article[start:start + size].tolist()
            for rank, i in enumerate(sorted(members, key=lambda i: passages[i].start)):
                position[i] = rank
        return cls(position, article, by_article, starts, sizes)

    @property
    def n_articles(self) -> int:
        return len(self.starts)

    def article_best(self, values: np.ndarray) -> np.ndarray:
        """Per chunk, the largest value among the chunks of its article (one reduceat: np.maximum.at is ten
        times slower)."""
        if not len(values):
            return values.astype(np.float64)
        best = np.repeat(np.maximum.reduceat(values[self.by_article], self.starts), self.sizes)
        spread = np.empty_like(best)
        spread[self.by_article] = best
        return spread


def rrf(scores: np.ndarray, depth: int = RANK_DEPTH) -> np.ndarray:
    """RRF_K / (RRF_K + rank), rank 1 = best: 60/61 for the top chunk, 0.5 at rank 60 (an RRF term × RRF_K).

    Only the best ``depth`` chunks are ranked exactly; the rest share rank depth + 1 (a term under 0.06), which
    saves a full sort of every chunk per signal and per part of a question.
    """
    values = np.full(len(scores), RRF_K / (RRF_K + depth + 1), dtype=np.float64)
    if len(scores) > depth:
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
    else:
        top = np.argsort(-scores, kind="stable")
    values[top] = RRF_K / (RRF_K + np.arange(1, len(top) + 1))
    return values


Columns = dict[str, np.ndarray]


def _share(scores: np.ndarray) -> np.ndarray:
    best = scores.max() if len(scores) else 0.0
    return scores / best if best > 0 else np.zeros(len(scores))


def position_features(layout: ChunkLayout) -> Columns:
    """The features that do not depend on the question."""
    return {"lead": 1.0 / (1.0 + layout.position), "first_chunk": (layout.position == 0).astype(np.float64)}


def dense_features(layout: ChunkLayout, dense: np.ndarray) -> Columns:
    dense_rrf = rrf(dense)
    return {"dense_rrf": dense_rrf, "article_dense_rrf": layout.article_best(dense_rrf),
            "cosine": dense.astype(np.float64)}


def lexical_features(layout: ChunkLayout, lexical: np.ndarray, sentences: np.ndarray) -> Columns:
    lexical_rrf = rrf(lexical) * (lexical > 0)
    return {"lexical_rrf": lexical_rrf, "sentence_rrf": rrf(sentences) * (sentences > 0),
            "article_lexical_rrf": layout.article_best(lexical_rrf),
            "lexical_share": _share(lexical), "sentence_share": _share(sentences)}


def chunk_features(layout: ChunkLayout, lexical: np.ndarray, dense: np.ndarray, sentences: np.ndarray, *,
                   names_outlet: bool) -> np.ndarray:
    """One row of FEATURES per chunk, from the three raw signals of one question and whether it names an
    outlet (the ``_unnamed`` copies: the values, or 0 when it does)."""
    columns = {**position_features(layout), **dense_features(layout, dense),
               **lexical_features(layout, lexical, sentences)}
    columns |= {f"{name}_unnamed": columns[name] * (0.0 if names_outlet else 1.0) for name in UNNAMED}
    return np.stack([np.asarray(columns[name], dtype=np.float64) for name in FEATURES], axis=1)


@dataclass(frozen=True)
class LinearRanker:
    """score = scale × (features · weights). ``scale`` puts the score in the units of the RRF bonus that a
    multi-part question adds per part (``bot/retrieval/retriever.py``), so the two stay in the measured balance."""

    weights: np.ndarray
    scale: float
    about: dict[str, Any] = field(default_factory=dict)

    def score(self, features: np.ndarray) -> np.ndarray:
        return self.scale * (features @ self.weights)

    def partial(self, columns: Columns, *, names_outlet: bool) -> np.ndarray:
        """The share of ``score`` that some base features give (the rest being scored apart): the parts of a
        question share the question's dense and position terms, so only their words are scored anew. The
        ``_unnamed`` copies are folded into the weights, not computed: the same cost as without them."""
        total = np.zeros(len(next(iter(columns.values()))))
        for name, values in columns.items():
            total += self.effective_weight(name, names_outlet=names_outlet) * values
        return self.scale * total

    def effective_weight(self, name: str, *, names_outlet: bool) -> float:
        """The weight of base feature ``name`` for a question that names an outlet or not."""
        weight = self.weights[FEATURES.index(name)]
        return float(weight if names_outlet else weight + self.weights[FEATURES.index(f"{name}_unnamed")])

    def describe(self) -> str:
        """Which fitted weights these are, for reports."""
        about = self.about
        return (f"linear fusion of {len(self.weights)} features, fitted on {about.get('fitted_on', '?')} "
                f"({about.get('queries', '?')} queries, {about.get('fitted_at', '?')}, `{about.get('command', '?')}`)")

    @classmethod
    def shipped(cls) -> LinearRanker:
        """The weights in ``bot/data/ranker.json``, read once per process (every retriever rebuild uses them)."""
        return _shipped_ranker()

    @classmethod
    def load(cls, path: Path = RANKER_FILE) -> LinearRanker:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            names, weights = tuple(data["features"]), data["weights"]
            scale = float(data["scale"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise RankerFileError(f"cannot read the ranker weights in {path}: {error}") from error
        if names != FEATURES or len(weights) != len(FEATURES):
            raise RankerFileError(f"{path} was fitted for features {list(names)}, the code computes {list(FEATURES)}:"
                                  " refit with `make fit-ranker`")
        about = {key: value for key, value in data.items() if key not in ("features", "weights", "scale")}
        return cls(np.array(weights, dtype=np.float64), scale, about)

    def save(self, path: Path) -> None:
        record = {"features": list(FEATURES), "weights": [round(float(w), 6) for w in self.weights],
                  "scale": self.scale, **self.about}
        path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


@functools.cache
def _shipped_ranker() -> LinearRanker:
    return LinearRanker.load(RANKER_FILE)


def fit_logistic(features: np.ndarray, labels: np.ndarray, *, l2: float = 1e-3, steps: int = 50,
                 tolerance: float = 1e-9) -> np.ndarray:
    """Weights of a class-balanced, L2-regularised logistic regression (Newton's method on standardised columns,
    mapped back to raw units). The intercept is dropped: it does not change any ranking.

    The loss is convex and has a dozen parameters, so Newton steps (a 12 x 12 solve each) reach its minimum in
    about ten iterations; the batch gradient descent used before took 3000 steps to come close, which made the
    cross-validation of ``make eval-freeform`` (one fit per fold) slow.
    """
    mean, spread = features.mean(axis=0), features.std(axis=0) + 1e-9
    design = np.hstack([(features - mean) / spread, np.ones((len(features), 1))])
    positive = float(labels.mean())
    if not 0.0 < positive < 1.0:
        raise ValueError("fitting needs both relevant and irrelevant chunks")
    # Relevant chunks are rare (about 2%): balance the two classes so the weights are not all intercept.
    sample_weight = np.where(labels > 0, 0.5 / positive, 0.5 / (1.0 - positive)) / len(labels)
    ridge = l2 * np.eye(design.shape[1])
    weights = np.zeros(design.shape[1])
    for _ in range(steps):
        predicted = 1.0 / (1.0 + np.exp(-np.clip(design @ weights, -30.0, 30.0)))
        gradient = design.T @ (sample_weight * (predicted - labels)) + l2 * weights
        curvature = (design * (sample_weight * predicted * (1.0 - predicted))[:, None]).T @ design + ridge
        step = np.linalg.solve(curvature, gradient)
        weights -= step
        if np.abs(step).max() < tolerance:
            break
    return weights[:-1] / spread
