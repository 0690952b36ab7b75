"""Learned fusion of the retrieval signals: one score per chunk from a linear model over named features.

Reciprocal rank fusion with hand-set weights throws away how *sure* each signal is (a cosine of 0.86 and one of
0.41 can both be rank 1). Here every chunk gets a feature vector — the RRF terms of BM25, dense and best-sentence
BM25, the same signals as scores (so a confident match counts for more), the best rank its article reaches,
where the chunk sits in its article (news puts the key facts first), how much of the question's vocabulary it
holds, and whether it gives a figure for a question asking how much — again for questions that name no outlet —
and a linear model fitted with a listwise loss (each question's relevant chunks against its other candidates) on
the MultiHop-RAG dev split and the large free-form sets by ``make fit-ranker`` (``bench/fit_ranker.py``) weighs
them.
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
    "term_coverage",        # the IDF-weighted share of the question's distinct terms that the chunk holds
    "window_coverage",      # the same for the chunk with its neighbours in the article (the terms nearby)
    "quantity_figure",      # 1 when the question asks how much/many and the chunk holds a figure (a digit)
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
    #: Per chunk, the chunk before and after it in its article (itself at either end of the article).
    previous: np.ndarray
    following: np.ndarray

    @classmethod
    def of(cls, passages: list[Passage]) -> ChunkLayout:
        numbers: dict[str, int] = {}
        article = np.array([numbers.setdefault(p.article_id, len(numbers)) for p in passages], dtype=np.int64)
        by_article = np.argsort(article, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(article[by_article]) != 0]) if len(article) else article
        sizes = np.diff(np.r_[starts, len(article)]).astype(np.int64)
        position = np.zeros(len(passages), dtype=np.float64)
        previous = np.arange(len(passages), dtype=np.int64)
        following = previous.copy()
        for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
            members = sorted(by_article[start:start + size].tolist(), key=lambda i: passages[i].start)
            for rank, i in enumerate(members):
                position[i] = rank
            previous[members[1:]] = members[:-1]
            following[members[:-1]] = members[1:]
        return cls(position, article, by_article, starts, sizes, previous, following)

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


def lexical_features(layout: ChunkLayout, lexical: np.ndarray, sentences: np.ndarray,
                     coverage: Columns) -> Columns:
    """The word-based features; ``coverage``: ``coverage_features`` of the same text."""
    lexical_rrf = rrf(lexical) * (lexical > 0)
    return {"lexical_rrf": lexical_rrf, "sentence_rrf": rrf(sentences) * (sentences > 0),
            "article_lexical_rrf": layout.article_best(lexical_rrf),
            "lexical_share": _share(lexical), "sentence_share": _share(sentences), **coverage}


def quantity_features(figures: np.ndarray, *, asks_quantity: bool) -> Columns:
    """``figures``: 1 for chunks that hold a digit. A reader asking "how many" wants the chunk with the number,
    which BM25 cannot see (the question has no number to match)."""
    return {"quantity_figure": figures.astype(np.float64) * (1.0 if asks_quantity else 0.0)}


def term_coverage(holders: list[np.ndarray], n_chunks: int) -> np.ndarray:
    """Per chunk, the IDF-weighted share of the question's distinct terms it holds; ``holders`` has, per term,
    the numbers of the chunks that hold it (each once; empty for a term no chunk holds).

    BM25 rewards a chunk that repeats one rare word; a paraphrasing reader's question is answered by the chunk
    that holds most of its words once each. IDF = log(1 + N / (1 + df)). Example: N = 9, terms held by 2
    chunks (idf log 4 = 1.39) and by 8 (idf log 2 = 0.69); a chunk holding only the second covers
    0.69 / 2.08 = 0.33 of the question."""
    if not holders:
        return np.zeros(n_chunks)
    counts = np.array([len(chunks) for chunks in holders])
    idf = np.log1p(n_chunks / (1.0 + counts))
    # One bincount over every term's chunks, each weighted by its term's idf: a single pass in C.
    covered = np.bincount(np.concatenate(holders).astype(np.int64), weights=np.repeat(idf, counts),
                          minlength=n_chunks)
    return covered / idf.sum()


def window_coverage(holders: list[np.ndarray], layout: ChunkLayout) -> np.ndarray:
    """``term_coverage`` of each chunk read together with the chunks before and after it in its article: a
    lead's question words are often split over its first two chunks. A term held by chunk h is in the window
    of h and of h's two neighbours, so each term marks those. (Deduplicating each term's window chunks with
    np.unique instead took 6 times as long: common terms are held by thousands of chunks.)"""
    n_chunks = len(layout.position)
    covered = np.zeros(n_chunks)
    if not holders:
        return covered
    idf = np.log1p(n_chunks / (1.0 + np.array([len(chunks) for chunks in holders])))  # the terms' own rarity
    for weight, chunks in zip(idf.tolist(), holders, strict=True):
        if len(chunks):
            near = np.zeros(n_chunks, dtype=bool)
            near[chunks] = near[layout.previous[chunks]] = near[layout.following[chunks]] = True
            covered += weight * near
    return covered / idf.sum()


def coverage_features(holders: list[np.ndarray], layout: ChunkLayout) -> Columns:
    """The coverages of one text's distinct terms (``holders``: per term, the chunks that hold it): per chunk and
    per window of a chunk with its neighbours."""
    return {"term_coverage": term_coverage(holders, len(layout.position)),
            "window_coverage": window_coverage(holders, layout)}


def chunk_features(layout: ChunkLayout, lexical: np.ndarray, dense: np.ndarray, sentences: np.ndarray,
                   coverage: Columns, figures: np.ndarray, *, names_outlet: bool, asks_quantity: bool) -> np.ndarray:
    """One row of FEATURES per chunk, from the raw signals of one question (BM25, cosine, best-sentence BM25, term
    coverage, which chunks hold a figure), whether it asks for a quantity and whether it names an outlet (the
    ``_unnamed`` copies: the values, or 0 when it does)."""
    columns = {**position_features(layout), **dense_features(layout, dense),
               **lexical_features(layout, lexical, sentences, coverage),
               **quantity_features(figures, asks_quantity=asks_quantity)}
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


def fit_listwise(queries: list[tuple[np.ndarray, np.ndarray]], *, l2: float = 1e-2, steps: int = 50,
                 tolerance: float = 1e-7) -> np.ndarray:
    """Weights of a linear scorer fitted with a listwise loss: per question, −log of the softmax probability
    mass its relevant candidates get among all its candidates (ListNet-style, "top one" of ListMLE), averaged
    over questions, plus L2 on standardised columns. ``queries``: (candidate features, labels) per question;
    questions without a relevant or without an irrelevant candidate carry no ranking information and are skipped.

    Why not a pointwise logistic regression (what was fitted before, docs/retrieval-notes.md): it learns to
    tell relevant chunks from irrelevant ones *across* questions, so a feature that is high for every chunk of
    an easy question earns weight although it never changes an order; the listwise loss only sees how each
    question's own candidates compare, which is what a ranking is. Cross-validated on the free-form sets it
    gains MRR@10 and Hits@10 at the same Hits@4.

    Newton's method on standardised columns, mapped back to raw units: the gradient is, per question, the
    softmax-weighted mean feature row minus the relevant-weighted one. With several relevant chunks the loss is
    not convex, so each step uses the Hessian's eigenvalues clipped at ``l2``, and a backtracking line search
    halves it until the loss falls (Armijo): without one, a full step could overshoot where the loss curves
    down, and at L2 0.3 the fit oscillated between steps (free-form MRR@10 0.47 instead of 0.79).
    """
    kept = [(features, labels > 0) for features, labels in queries if 0 < (labels > 0).sum() < len(labels)]
    if not kept:
        raise ValueError("fitting needs questions with both relevant and irrelevant candidates")
    stacked = np.vstack([features for features, _ in kept])
    mean, spread = stacked.mean(axis=0), stacked.std(axis=0) + 1e-9
    standardised = [((features - mean) / spread, relevant) for features, relevant in kept]
    weights = np.zeros(stacked.shape[1])
    loss = listwise_loss(standardised, weights, l2)
    for _ in range(steps):
        gradient, curvature = listwise_derivatives(standardised, weights, l2)
        values, vectors = np.linalg.eigh(curvature)
        step = vectors @ ((vectors.T @ gradient) / np.maximum(values, l2))
        step *= min(1.0, 2.0 / max(np.abs(step).max(), 1e-12))
        length, slope = 1.0, float(gradient @ step)  # the loss falls along −step at this rate, at first
        while (tried := listwise_loss(standardised, weights - length * step, l2)) > loss - 1e-4 * length * slope:
            length /= 2
            if length * np.abs(step).max() < tolerance:
                return weights / spread  # no step downhill is longer than the tolerance: converged
        weights, loss = weights - length * step, tried
        if length * np.abs(step).max() < tolerance:
            break
    return weights / spread


def listwise_loss(standardised: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray, l2: float) -> float:
    """``fit_listwise``'s objective at ``weights``: the mean over questions of −log(the softmax mass of the
    relevant candidates), in log-sum-exp form so that no mass underflows to log(0), plus L2/2 · |weights|²."""
    total = 0.0
    for rows, relevant in standardised:
        scores = rows @ weights
        total += _log_sum_exp(scores) - _log_sum_exp(scores[relevant])
    return total / len(standardised) + 0.5 * l2 * float(weights @ weights)


def listwise_derivatives(standardised: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray,
                          l2: float) -> tuple[np.ndarray, np.ndarray]:
    """The gradient and Hessian of ``listwise_loss``."""
    width = len(weights)
    gradient, curvature = l2 * weights, l2 * np.eye(width)
    for rows, relevant in standardised:
        scores = rows @ weights
        every = _softmax(scores)
        wanted = _softmax(np.where(relevant, scores, -np.inf))
        every_mean, wanted_mean = every @ rows, wanted @ rows
        gradient += (every_mean - wanted_mean) / len(standardised)
        curvature += ((rows * every[:, None]).T @ rows - np.outer(every_mean, every_mean)
                      - (rows * wanted[:, None]).T @ rows + np.outer(wanted_mean, wanted_mean)) / len(standardised)
    return gradient, curvature


def _log_sum_exp(scores: np.ndarray) -> float:
    top = scores.max()
    return float(top + np.log(np.exp(scores - top).sum()))


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()
