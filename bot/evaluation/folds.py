"""Cross-validation folds that keep each article's questions together, and the kinds a report splits questions by.

A question fitted on in one fold and scored in another through a *different* question about the same article
would leak: the ranker learns that article's wording. So questions are grouped by their evidence articles
(union-find: a two-article question joins the groups of both its articles, and so everything asked about either),
and whole groups go to folds. Pure functions over ``EvalQuery`` values: no I/O.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from bot.evaluation.multihop import EvalQuery

_WHY = re.compile(r"\bwhy\b", re.IGNORECASE)
_HOW_MUCH = re.compile(r"\bhow\s+(?:much|many)\b", re.IGNORECASE)


def evidence_groups(queries: Sequence[EvalQuery]) -> list[int]:
    """Per query, the number of its group: queries sharing an evidence url (directly or through a chain of
    two-article questions) share a group. A query without urls (absent topics) is a group of its own."""
    parent = list(range(len(queries)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving keeps the chains short
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, query in enumerate(queries):
        for url in sorted(query.urls):
            j = first_with.setdefault(url, i)
            parent[root(i)] = root(j)
    numbers: dict[int, int] = {}
    return [numbers.setdefault(root(i), len(numbers)) for i in range(len(queries))]


def assign_folds(queries: Sequence[EvalQuery], folds: int) -> list[int]:
    """Per query, its fold in ``range(folds)``; every group whole in one fold, folds as even as the groups allow.

    Deterministic: groups are shuffled by a hash of their questions' text (so the same files give the same
    folds on every machine), then the largest go first, each to the fold with the fewest questions so far.
    """
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    groups = evidence_groups(queries)
    members: dict[int, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)

    def shuffle_key(indices: list[int]) -> str:
        return hashlib.sha1("\n".join(queries[i].query for i in indices).encode()).hexdigest()

    order = sorted(members.values(), key=lambda indices: (-len(indices), shuffle_key(indices)))
    sizes, fold_of = [0] * folds, [0] * len(queries)
    for indices in order:
        target = min(range(folds), key=lambda f: (sizes[f], f))
        sizes[target] += len(indices)
        for i in indices:
            fold_of[i] = target
    return fold_of


def query_kinds(query: EvalQuery) -> tuple[str, ...]:
    """The report rows a question counts in: its own tags when the file gives them; else how many articles its
    evidence spans (or "absent topic"), plus "why" and "how much/many" read from its wording."""
    if query.tags:
        return query.tags
    if query.is_null:
        return ("absent topic",)
    kinds = ["two-article" if len(query.urls) > 1 else "single-article"]
    if _WHY.search(query.query):
        kinds.append("why")
    if _HOW_MUCH.search(query.query):
        kinds.append("how much/many")
    return tuple(kinds)
