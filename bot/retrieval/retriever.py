"""Hybrid retrieval for news questions: BM25, best-sentence BM25 and dense scores fused per chunk by a learned
linear model (``bot/retrieval/ranking.py``), steered by what the question says (outlets, dates, names), with one
slot per named outlet or clause for multi-hop questions.

How much each signal is trusted is decided per question by the scores themselves: the model weighs a signal's
rank *and* its strength (a cosine near 0.9, a BM25 score near the question's best), so a paraphrase that the
dense model matches confidently is led by meaning, and a question quoting the article's words by them. Outlets
and dates named in the question restrict or favour chunks explicitly. Measured on the MultiHop-RAG dev split and
our free-form set (docs/evaluation.md, docs/retrieval-notes.md).
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bot.retrieval.query import (
    DateSpec,
    OutletMatcher,
    OutletMention,
    asks_quantity,
    find_dates,
    proper_names,
    single_names,
)
from bot.retrieval.ranking import (
    RRF_K,
    ChunkLayout,
    LinearRanker,
    chunk_features,
    coverage_features,
    dense_features,
    lexical_features,
    position_features,
    quantity_features,
)
from ingest.outlets import OutletRegistry
from ingest.search_index import SearchIndex, query_tokens
from ingest.types import OutletRef, Passage

#: An article with FOCUS_MIN of the FOCUS_WINDOW best passages is what the question is about (see ``_focus``).
FOCUS_WINDOW = 5
FOCUS_MIN = 3
#: Added to the fused score of chunks from articles dated on a day (or in a month) the question names.
DATE_BONUS = 1.0 / (RRF_K + 1)
#: At most this many passages of one article in a result, so one long article cannot fill every slot.
MAX_PER_ARTICLE = 5
#: Multi-hop parts: split a question into clauses, and how much a part's own words count in its slot (1.5–3 give
#: dev MRR@10 0.748–0.750, 0.5 gives 0.738: the middle of the plateau).
PART_WEIGHT = 2.0
MIN_CLAUSE_TERMS = 3
# "(?<!\s)": a split starts at the first space of a run; trying it from every space of a long run is quadratic.
_CLAUSE_SPLIT = re.compile(r"[,;:?]\s+|(?<!\s)\s+(?:while|whereas|but|and also|as well as)\s+"
                           r"|(?<!\s)\s+and\s+(?=(?:has|have|had|is|was|were|also|did|does|its|their|the|which|who|that)\b)")


@dataclass(frozen=True, slots=True)
class Filters:
    """Explicit restrictions from the user (``ask --outlet/--kind/--since/--until``)."""

    outlets: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None
    #: The day relative dates in the question ("last Tuesday") are resolved against; None: they are ignored.
    today: datetime.date | None = None
    #: Outlet kinds to leave out (``research --exclude-kind``).
    exclude_kinds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Retrieval:
    passages: list[Passage]
    #: Outlets the question names that have no article in the collection.
    missing_outlets: tuple[str, ...] = ()
    #: Names the question asks about that no article mentions.
    unknown_names: tuple[str, ...] = ()


class HybridRetriever:
    """Retrieval over one ``SearchIndex``; built once per index version."""

    def __init__(self, index: SearchIndex, registry: OutletRegistry, embed: Callable[[list[str]], np.ndarray],
                 ranker: LinearRanker | None = None):
        """``embed`` turns texts into unit vectors (one row per text), e.g. ``MiniLMEmbeddings.embed``;
        ``ranker`` weighs the signals (default: the fitted weights shipped in ``bot/data/ranker.json``)."""
        self.index = index
        self.registry = registry
        self._embed = embed
        self.ranker = ranker or LinearRanker.shipped()
        self._layout = ChunkLayout.of(index.passages)
        # Position scores depend on the question only through whether it names an outlet: both worked out once.
        self._position_score = {named: self.ranker.partial(position_features(self._layout), names_outlet=named)
                                for named in (False, True)}
        self._figures = np.array([any(c.isdigit() for c in p.text) for p in index.passages], dtype=bool)
        self._quantity_score = {named: self.ranker.partial(quantity_features(self._figures, asks_quantity=True),
                                                           names_outlet=named) for named in (False, True)}
        self._outlet_key = [self._key(p.original) for p in index.passages]
        # A chunk answers to its original outlet and its publisher, by registry name and by the name its
        # source gave (a corpus may call theathletic.com "The New York Times").
        self._chunk_keys = [
            frozenset(k for k in (self._key(p.original), self._key(p.publisher),
                                  *(r.name.casefold() for r in (p.original, p.publisher) if r)) if k)
            for p in index.passages
        ]
        self._masks: dict[str, np.ndarray] = {}
        present: dict[str, set[str]] = {}
        for key in set().union(*self._chunk_keys) if self._chunk_keys else set():
            for surface in self._surfaces(key):
                present.setdefault(surface, set()).add(key)
        present_names = {self._display(key) for keys in present.values() for key in keys}
        absent = [o.name for o in registry.by_name.values() if o.name not in present_names and o.kind != "unknown"]
        self.matcher = OutletMatcher(present, absent)
        articles = {p.article_id for p in index.passages}
        self._is_copy = np.array([bool(p.duplicate_of and p.duplicate_of in articles) for p in index.passages])
        self._article_ids = [p.article_id for p in index.passages]

    def _key(self, ref: OutletRef | None) -> str:
        if ref is None:
            return ""
        outlet = self.registry.resolve(ref)
        return (outlet.name if outlet else ref.name).casefold()

    def _display(self, key: str) -> str:
        outlet = self.registry.by_name.get(key)
        if outlet:
            return outlet.name
        return next((r.name for p in self.index.passages for r in (p.original, p.publisher)
                     if r and r.name.casefold() == key), key)

    def _surfaces(self, key: str) -> set[str]:
        """The ways a question may name an outlet: its name, without "The", its section prefix, its domains."""
        if not key:
            return set()
        name = self._display(key)
        forms = {name}
        if name.startswith("The "):
            forms.add(name[4:])
        for separator in (" - ", " | ", ": "):
            if separator in name:
                forms.add(name.split(separator)[0].strip())
        outlet = self.registry.by_name.get(key)
        if outlet:
            forms.update(d for d in outlet.domains if "/" not in d)
        return {f for f in forms if len(f) >= 2}

    def outlet_mask(self, keys: frozenset[str]) -> np.ndarray:
        mask = np.zeros(len(self.index), dtype=bool)
        for key in keys:
            if key not in self._masks:
                self._masks[key] = np.array([key in keys for keys in self._chunk_keys], dtype=bool)
            mask |= self._masks[key]
        return mask

    def _filter_mask(self, filters: Filters) -> np.ndarray:
        mask = np.ones(len(self.index), dtype=bool)
        if filters.outlets:
            keys = frozenset(k for name in filters.outlets for k in self._keys_for(name))
            mask &= self.outlet_mask(keys)
        if filters.kinds:
            kinds = set(filters.kinds)
            mask &= np.array([(self.registry.by_name.get(k).kind if self.registry.by_name.get(k) else "unknown")
                              in kinds for k in self._outlet_key])
        if filters.exclude_kinds:
            unwanted = set(filters.exclude_kinds)
            mask &= np.array([(self.registry.by_name.get(k).kind if self.registry.by_name.get(k) else "unknown")
                              not in unwanted for k in self._outlet_key], dtype=bool)
        stamps = self.index.published_ts
        if filters.since is not None:
            mask &= stamps >= filters.since
        if filters.until is not None:
            mask &= stamps <= filters.until
        return mask

    def _keys_for(self, name: str) -> set[str]:
        outlet = self.registry.resolve(OutletRef(name=name, domain=name.lower() if "." in name else None))
        return {(outlet.name if outlet else name).casefold()}

    def _date_mask(self, dates: list[DateSpec]) -> np.ndarray:
        stamps = self.index.published_ts
        mask = np.zeros(len(self.index), dtype=bool)
        for date in dates:
            bounds = date.bounds()
            if bounds:
                mask |= (stamps >= bounds[0]) & (stamps <= bounds[1])
            else:
                months = np.array([int(p.published_at[5:7]) == date.month if p.published_at else False
                                   for p in self.index.passages])
                mask |= months
        return mask

    def _aspects(self, question: str, present: list[OutletMention], allowed: np.ndarray) -> list[
            tuple[str, np.ndarray]]:
        """The parts of a multi-hop question, each with the chunks that may serve it.

        When the question names an outlet, each clause is a part (any chunk allowed may serve it); with several
        outlet mentions, so is each mention's stretch of the question (up to the next mention), restricted to
        that outlet. One slot per part and round keeps every part of a comparison or a chain of clues served
        (issue #5, multi-hop coverage):
        "Which company, reported by A for X and by B for Y, …" needs X and Y as much as A and B.
        """
        parts = []
        if len(present) > 1:
            bounds = [0 if i == 0 else m.start for i, m in enumerate(present)] + [len(question)]
            parts = [(question[bounds[i]:bounds[i + 1]], self.outlet_mask(m.keys) & allowed)
                     for i, m in enumerate(present)]
        # Clause slots only when the question names an outlet. The benchmark's multi-hop questions (all naming
        # outlets) chain clues that live in different articles; a reader's "X, and Y?" names none and asks two
        # things of one story, and a slot per clause put the other clause's best chunk above the evidence the
        # whole question ranks first (free-form cross-validated MRR@10 0.804 → 0.819: docs/retrieval-notes.md).
        clauses = ([c for c in _CLAUSE_SPLIT.split(question) if len(query_tokens(c)) >= MIN_CLAUSE_TERMS]
                   if present else [])
        if len(clauses) > 1:
            parts += [(clause, allowed) for clause in clauses]
        return parts

    def _aspect_ranking(self, text: str, mask: np.ndarray, fused: np.ndarray, shared: np.ndarray,
                        limit: int, named: bool) -> tuple[np.ndarray, np.ndarray]:
        """Chunks allowed for one part of the question, best first, and their scores for it: the whole
        question's score plus the same model's score of the part's own words (BM25 and best sentence;
        ``shared`` is the question's dense and position score, since embedding each part was measured and made
        multi-hop coverage worse: docs/retrieval-notes.md)."""
        own = self.ranker.partial(self._lexical(text), names_outlet=named)
        scores = fused + PART_WEIGHT * (shared + own)
        return _best_first(np.flatnonzero(mask), scores, limit), scores

    def _focus(self, order: list[int]) -> str | None:
        """The article a question is about, when its passages hold most of the top ranks: it may then fill
        every slot, since the evidence can be in any of its passages (not only in the few best-scored)."""
        top = [self._article_ids[i] for i in order[:FOCUS_WINDOW]]
        if not top:
            return None
        article, count = Counter(top).most_common(1)[0]
        return article if count >= FOCUS_MIN else None

    def unknown_names(self, question: str, mentions: list[OutletMention]) -> list[str]:
        """Names in the question that no sentence of the collection holds: every word of the name (its
        capitalised words; "Gong-backed" counts as "Gong") must occur in one sentence."""
        missing = []
        spans = [(m.start, m.end) for m in mentions]
        names = proper_names(question, spans)
        inside = {word for name in names for word in name.split()}
        singles = [w for w in single_names(question, spans) if w not in inside]
        for name in names + singles:
            words = [w for w in re.findall(r"[^\W_]+", re.sub(r"-[a-z]+\b", "", name)) if query_tokens(w)]
            if words and not self.index.sentence_holds_all(words):
                missing.append(name)
        return missing

    def candidates(self, question: str, filters: Filters | None = None) -> np.ndarray:
        """Which chunks may answer: the user's filters, the outlets the question names, and no syndicated copy
        unless an outlet is asked for (copies give way to their originals)."""
        return self._allowed([m for m in self.matcher.find(question) if m.keys], filters)

    def _allowed(self, present: list[OutletMention], filters: Filters | None) -> np.ndarray:
        allowed = self._filter_mask(filters or Filters())
        groups = list(dict.fromkeys(m.keys for m in present))
        if groups:
            allowed &= self.outlet_mask(frozenset().union(*groups))
        if not (groups or (filters and filters.outlets)):
            allowed &= ~self._is_copy
        return allowed

    def _lexical(self, text: str) -> dict[str, np.ndarray]:
        """The word-based features of every chunk for ``text`` (a question or one part of it)."""
        return lexical_features(self._layout, self.index.lexical_scores(text), self.index.sentence_scores(text),
                                self._coverage(text))

    def _coverage(self, text: str) -> dict[str, np.ndarray]:
        """``coverage_features`` of every chunk for the distinct terms of ``text``, read from the BM25 index, which
        holds each chunk's title, outlet and date with its text: a slice of the index per term, where scoring
        each term alone over every chunk took 3 times as long as BM25 itself."""
        if not len(self.index):
            return coverage_features([], self._layout)
        return coverage_features(self.index.chunks_holding(text), self._layout)

    def _cosines(self, question: str) -> np.ndarray:
        return self.index.dense_scores(np.asarray(self._embed([question]), dtype=np.float32)[0])

    def features(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """The ranking features of every chunk for ``question`` (``bot.retrieval.ranking.FEATURES``), and the cosines.
        ``retrieve`` scores the same features group by group (tests/test_ranking.py checks they agree)."""
        dense = self._cosines(question)
        named = any(m.keys for m in self.matcher.find(question))
        features = chunk_features(self._layout, self.index.lexical_scores(question), dense,
                                  self.index.sentence_scores(question), self._coverage(question), self._figures,
                                  names_outlet=named, asks_quantity=asks_quantity(question))
        return features, dense

    def retrieve(self, question: str, k: int = 10, filters: Filters | None = None) -> Retrieval:
        if not len(self.index):
            return Retrieval([])
        mentions = self.matcher.find(question)
        missing = tuple(dict.fromkeys(m.name for m in mentions if not m.keys))
        present = [m for m in mentions if m.keys]
        allowed = self._allowed(present, filters)
        aspects = self._aspects(question, present, allowed)
        dense = self._cosines(question)
        named = bool(present)
        shared = self._position_score[named] + self.ranker.partial(dense_features(self._layout, dense),
                                                                   names_outlet=named)
        if asks_quantity(question):
            shared = shared + self._quantity_score[named]
        fused = shared + self.ranker.partial(self._lexical(question), names_outlet=named)
        dates = find_dates(question, today=filters.today if filters else None)
        if dates:
            # A date the question names steers like an outlet does: a fixed bonus, as large as a top RRF term
            # (fitted into the model it came out far weaker, and temporal questions lost their articles).
            fused = fused + self._date_mask(dates) * DATE_BONUS
        # Far more passages than k needs, even with many skipped for the per-article cap.
        limit = max(400, 40 * k)
        parts = [self._aspect_ranking(text, mask, fused, shared, limit, named) for text, mask in aspects]
        order = (_slots(parts, limit) if len(aspects) > 1
                 else _best_first(np.flatnonzero(allowed), fused, limit).tolist())
        chosen: list[int] = []
        per_article: dict[str, int] = {}
        # Questions naming two outlets, or one twice, are comparisons and chains across articles: no one article
        # may take over. One named once ("in The Verge's review of …") may be about one article.
        focus = None if len(present) > 1 else self._focus(order)
        for i in order:
            article = self._article_ids[i]
            if per_article.get(article, 0) >= (k if article == focus else MAX_PER_ARTICLE):
                continue
            per_article[article] = per_article.get(article, 0) + 1
            chosen.append(int(i))
            if len(chosen) == k:
                break
        passages = [replace(self.index.passages[i], score=float(dense[i])) for i in chosen]
        return Retrieval(passages, missing, tuple(self.unknown_names(question, mentions)))


def _best_first(candidates: np.ndarray, score: np.ndarray, limit: int) -> np.ndarray:
    """The ``limit`` best of ``candidates`` by ``score``, best first (ties in index order), without sorting
    every chunk."""
    if len(candidates) > limit:
        candidates = np.sort(candidates[np.argpartition(-score[candidates], limit - 1)[:limit]])
    return candidates[np.argsort(-score[candidates], kind="stable")]


def _slots(parts: list[tuple[np.ndarray, np.ndarray]], limit: int) -> list[int]:
    """Round-robin over the parts of a question, each a (ranking, scores) pair; each round in order of how
    well each passage serves its part (measured against ordering by the whole question's score: dev MRR@10
    0.732 → 0.745); the first ``limit`` passages."""
    order: list[int] = []
    seen: set[int] = set()
    for depth in range(max((len(ranking) for ranking, _ in parts), default=0)):
        # Two parts may rank the same passage at the same depth: it takes one place, not two, at its best.
        round_: dict[int, float] = {}
        for ranking, scores in parts:
            if depth < len(ranking) and (i := int(ranking[depth])) not in seen:
                round_[i] = max(round_.get(i, -np.inf), float(scores[i]))
        for i in sorted(round_, key=lambda i: -round_[i]):
            seen.add(i)
            order.append(i)
        if len(order) >= limit:
            break
    return order
