"""MultiHop-RAG metrics as pure functions on strings, and their aggregation over queries: no I/O, no store.

The definitions follow the benchmark's own scoring code, described in prose in
``shared/notes/eval-multihop.md`` §2 (upstream ``retrieval_evaluate.py``; no upstream code is copied):

- normalisation deletes every space and newline, nothing else;
- a retrieved chunk is *relevant* when any normalised gold fact is a substring of its normalised text;
- Hits@k and MRR@10 look at the first relevant rank; MAP@10 is the upstream variant, which credits each
  gold fact once, at the first rank where it appears, and divides by ``min(len(gold), 10)``.

Metrics the paper lacks (evidence recall, completeness, coverage, set recall) are defined here too, with
the same normalisation, so every number in the report uses one notion of "a fact was found". ``aggregate``
turns per-query outcomes into the reported numbers (null queries count only for abstention).
SEE: https://github.com/yixuantt/MultiHop-RAG (retrieval_evaluate.py)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

K = 10
"""Retrieval depth of every @10 metric; upstream reads 11 items but never scores rank 11."""
METRICS = ("hits@4", "hits@10", "mrr@10", "map@10", "complete@10", "evidence_recall@10", "article_recall@10",
           "fact_coverage", "outlet_recall", "null_abstention", "false_abstention")
#: Shares, reported with a binomial 95% interval; MRR and MAP are means of non-binary values.
RATE_METRICS = frozenset(METRICS) - {"mrr@10", "map@10"}
LABELS = {"hits@4": "Hits@4", "hits@10": "Hits@10", "mrr@10": "MRR@10", "map@10": "MAP@10 (upstream)",
          "complete@10": "complete@10", "evidence_recall@10": "evidence recall@10",
          "article_recall@10": "article recall@10", "fact_coverage": "fact coverage",
          "outlet_recall": "cited-outlet recall", "false_abstention": "false abstention",
          "null_abstention": "null abstention"}


def normalise(text: str) -> str:
    """Delete every ``" "`` and ``"\\n"``; case, tabs, non-breaking spaces and punctuation stay (as upstream)."""
    return text.replace(" ", "").replace("\n", "")


def distinct_facts(facts: Iterable[str]) -> list[str]:
    """Normalised facts in their first order, without duplicates or empty strings.

    An empty normalised fact would be a substring of every chunk, so it is dropped rather than scored.
    """
    seen: dict[str, None] = {}
    for fact in facts:
        if key := normalise(fact):
            seen.setdefault(key, None)
    return list(seen)


def upstream_header(title: str, published_at: str, source: str) -> str:
    """The metadata header LlamaIndex puts in front of each chunk in upstream's LLM mode (eval-multihop.md §3).

    Only ``title``, ``published_at`` and ``source`` are metadata upstream; after normalisation the exact
    whitespace of the template no longer matters, but the words do (outlet names can match facts).
    """
    return f"[Excerpt from document]\ntitle: {title}\npublished_at: {published_at}\nsource: {source}\nExcerpt:\n-----\n"


def facts_in(text: str, gold: Sequence[str]) -> frozenset[int]:
    """Indexes of the (already normalised) ``gold`` facts wholly inside ``text`` after normalisation."""
    haystack = normalise(text)
    return frozenset(i for i, fact in enumerate(gold) if fact in haystack)


def _relevance(chunks: Sequence[str], facts: Iterable[str], k: int) -> tuple[list[str], list[frozenset[int]]]:
    gold = distinct_facts(facts)
    return gold, [facts_in(text, gold) for text in chunks[:k]]


def first_relevant_rank(chunks: Sequence[str], facts: Iterable[str], k: int = K) -> int | None:
    """The 1-based rank of the first chunk holding any whole gold fact, within ranks 1..k; None if there is none."""
    _, found = _relevance(chunks, facts, k)
    return next((rank for rank, hits in enumerate(found, start=1) if hits), None)


def hits_at(chunks: Sequence[str], facts: Iterable[str], k: int) -> float:
    """1.0 when any of ranks 1..k holds a whole gold fact (an any-hit metric, not multi-hop completeness)."""
    return 1.0 if first_relevant_rank(chunks, facts, k) is not None else 0.0


def reciprocal_rank(chunks: Sequence[str], facts: Iterable[str], k: int = K) -> float:
    """1 / the first relevant rank within 1..k, else 0.0; the mean over queries is MRR@k."""
    rank = first_relevant_rank(chunks, facts, k)
    return 1.0 / rank if rank else 0.0


def average_precision_upstream(chunks: Sequence[str], facts: Iterable[str], k: int = K) -> float:
    """Upstream's AP@k: the sum over ranks of (gold facts first found at that rank) / rank, over min(len(gold), k).

    Worked example (eval-multihop.md §2): facts A and B found at ranks 1 and 2 give (1/1 + 1/2) / 2 = 0.75,
    where textbook AP gives 1.0; a perfect 1.0 needs every fact inside the rank-1 chunk. The mean over
    queries is the MAP@10 the paper reports.
    """
    gold, found = _relevance(chunks, facts, k)
    if not gold:
        raise ValueError("no gold facts: upstream skips such (null) queries")
    seen: set[int] = set()
    total = 0.0
    for rank, hits in enumerate(found, start=1):
        new = hits - seen
        total += len(new) / rank
        seen |= new
    return total / min(len(gold), k)


def evidence_found(chunks: Sequence[str], facts: Iterable[str], k: int = K) -> tuple[int, int]:
    """(distinct gold facts wholly inside some chunk of ranks 1..k, distinct gold facts)."""
    gold, found = _relevance(chunks, facts, k)
    return len(frozenset().union(*found)) if found else 0, len(gold)


def fact_covered(fact: str, chunks: Iterable[str]) -> bool:
    """Whether ``fact`` lies wholly inside at least one chunk (normalised): the ceiling any retriever can reach."""
    key = normalise(fact)
    return bool(key) and any(key in normalise(chunk) for chunk in chunks)


def set_recall(gold: Iterable[str], got: Iterable[str]) -> tuple[int, int]:
    """(distinct gold items among ``got``, distinct gold items); exact comparison, callers fold case if they wish."""
    wanted = set(gold)
    return len(wanted & set(got)), len(wanted)


@dataclass(frozen=True, slots=True)
class RetrievalScore:
    """Every per-query retrieval number, from one ranked list of scored chunk texts."""

    hits4: float
    hits10: float
    rr: float
    ap: float
    found: int
    facts: int

    @property
    def complete(self) -> float:
        """1.0 when every gold fact of the query is in the top 10 (what a multi-hop answer needs)."""
        return 1.0 if self.found == self.facts else 0.0


def score_ranking(chunks: Sequence[str], facts: Iterable[str], k: int = K) -> RetrievalScore:
    """All retrieval metrics of one non-null query; ``chunks`` are the scored texts, best first."""
    facts = list(facts)
    found, total = evidence_found(chunks, facts, k)
    return RetrievalScore(
        hits4=hits_at(chunks, facts, 4),
        hits10=hits_at(chunks, facts, k),
        rr=reciprocal_rank(chunks, facts, k),
        ap=average_precision_upstream(chunks, facts, k),
        found=found,
        facts=total,
    )


def mean(values: Sequence[float]) -> float | None:
    """The plain mean; None for no values (a metric that does not apply to a group)."""
    return sum(values) / len(values) if values else None


def ratio(found: int, total: int) -> float | None:
    """A pooled share (micro average); None when there is nothing to count."""
    return found / total if total else None


def ci95(p: float, n: int) -> float:
    """Half-width of the normal-approximation 95% interval, 1.96·sqrt(p(1−p)/n).

    Example: p = 0.6, n = 671 gives 1.96 · sqrt(0.24 / 671) = 0.037, the figure in eval-multihop.md §5.
    """
    return 1.96 * math.sqrt(p * (1.0 - p) / n) if n > 0 else math.nan


# --- aggregation over queries ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """What one query scored; None where a metric does not apply (null queries, missing gold fields)."""

    question_type: str
    is_null: bool
    abstained: bool
    retrieval: RetrievalScore | None = None
    articles: tuple[int, int] | None = None
    outlets: tuple[int, int] | None = None
    facts: tuple[str, ...] = ()  # normalised gold facts, the keys of the coverage map


@dataclass(frozen=True, slots=True)
class Stat:
    """One metric over a group of queries."""

    value: float | None
    n: int  # the denominator: queries, or gold items for the pooled recalls


def _pooled(pairs: Iterable[tuple[int, int] | None]) -> Stat:
    found = total = 0
    for pair in pairs:
        if pair is not None:
            found, total = found + pair[0], total + pair[1]
    return Stat(ratio(found, total), total)


def aggregate(outcomes: Sequence[QueryOutcome], covered: Mapping[str, bool]) -> dict[str, Stat]:
    """Every metric over ``outcomes``: per-query means for hits/MRR/MAP/complete/abstention, pooled shares
    for the recalls and coverage. A metric with nothing to score is ``Stat(None, 0)``."""
    scores = [o.retrieval for o in outcomes if o.retrieval is not None]
    answered = [1.0 if o.abstained else 0.0 for o in outcomes if not o.is_null]
    nulls = [1.0 if o.abstained else 0.0 for o in outcomes if o.is_null]
    facts = {fact for o in outcomes if not o.is_null for fact in o.facts}

    def per_query(values: list[float]) -> Stat:
        return Stat(mean(values), len(values))

    return {
        "hits@4": per_query([s.hits4 for s in scores]),
        "hits@10": per_query([s.hits10 for s in scores]),
        "mrr@10": per_query([s.rr for s in scores]),
        "map@10": per_query([s.ap for s in scores]),
        "complete@10": per_query([s.complete for s in scores]),
        "evidence_recall@10": _pooled((s.found, s.facts) for s in scores),
        "article_recall@10": _pooled(o.articles for o in outcomes),
        "fact_coverage": _pooled([(sum(covered.get(f, False) for f in facts), len(facts))]),
        "outlet_recall": _pooled(o.outlets for o in outcomes),
        "null_abstention": per_query(nulls),
        "false_abstention": per_query(answered),
    }


def format_stat(name: str, stat: Stat) -> str:
    """``0.812 ± 0.030`` for a share, ``0.655`` for MRR/MAP, ``–`` for a metric that does not apply."""
    if stat.value is None:
        return "–"
    if name in RATE_METRICS:
        return f"{stat.value:.3f} ± {ci95(stat.value, stat.n):.3f}"
    return f"{stat.value:.3f}"
