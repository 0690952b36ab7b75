"""The MultiHop-RAG metric code on hand-made rankings whose values are worked out by hand in the comments."""

from __future__ import annotations

import math

import pytest

from bot.evaluation.metrics import (
    QueryOutcome,
    RetrievalScore,
    Stat,
    aggregate,
    average_precision_upstream,
    ci95,
    distinct_facts,
    evidence_found,
    fact_covered,
    facts_in,
    format_stat,
    hits_at,
    normalise,
    reciprocal_rank,
    score_ranking,
    set_recall,
    upstream_header,
)

A = "The council pays 4 million pounds."
B = "Construction starts in the autumn."
C = "The lens room stayed dry."
NOISE = "Islanders asked for late crossings."


@pytest.mark.parametrize(
    ("chunks", "facts", "expected"),
    [
        # §2 worked example: A at rank 1, B at rank 2. Hits@4 = Hits@10 = 1, RR = 1/1,
        # upstream AP = (1/1 + 1/2) / min(2, 10) = 1.5 / 2 = 0.75 (textbook AP would be 1.0).
        pytest.param([f"x {A} y", f"{B} z", NOISE], [A, B], (1.0, 1.0, 1.0, 0.75, 2, 2), id="worked-example-0.75"),
        # Both facts inside the rank-1 chunk: AP = (2/1) / 2 = 1.0, the only way to score a perfect 1.0.
        pytest.param([f"{A} {B}", NOISE], [A, B], (1.0, 1.0, 1.0, 1.0, 2, 2), id="all-in-rank-1"),
        # A miss: nothing relevant in the top 10, every metric 0.
        pytest.param([NOISE] * 10, [A, B], (0.0, 0.0, 0.0, 0.0, 0, 2), id="miss"),
        # First hit at rank 5 with 3 facts: Hits@4 = 0, Hits@10 = 1, RR = 1/5 = 0.2, AP = (1/5) / 3 = 0.0667.
        pytest.param([NOISE] * 4 + [C] + [NOISE] * 5, [A, B, C], (0.0, 1.0, 0.2, 1 / 15, 1, 3), id="rank-5"),
        # A fact already found earlier earns nothing again: A at 1, A at 2, B at 3 → AP = (1/1 + 0/2 + 1/3) / 2 = 0.667.
        pytest.param([A, A, B], [A, B], (1.0, 1.0, 1.0, 2 / 3, 2, 2), id="repeat-not-recounted"),
        # Rank 11 is never scored (upstream reads 11 items but ignores the last): a miss.
        pytest.param([NOISE] * 10 + [A], [A], (0.0, 0.0, 0.0, 0.0, 0, 1), id="rank-11-ignored"),
    ],
)
def test_ranking_metrics(chunks: list[str], facts: list[str], expected: tuple) -> None:
    hits4, hits10, rr, ap, found, total = expected
    score = score_ranking(chunks, facts)
    assert score == RetrievalScore(hits4, hits10, pytest.approx(rr), pytest.approx(ap), found, total), score
    assert hits_at(chunks, facts, 4) == hits4 and reciprocal_rank(chunks, facts) == pytest.approx(rr)
    assert average_precision_upstream(chunks, facts) == pytest.approx(ap)
    assert score.complete == (1.0 if found == total else 0.0)


def test_fact_cut_across_chunks_is_never_found() -> None:
    # A chunker that cuts A after "pays" leaves half of it in each chunk: neither holds the whole fact,
    # so the fact is not covered and no ranking can find it (Hits = 0), even with both halves retrieved.
    body = f"{NOISE} {A} {B}"
    cut = body.index("4 million")
    chunks = [body[:cut], body[cut:]]
    assert A not in chunks[0] and A not in chunks[1]
    assert not fact_covered(A, chunks)
    assert score_ranking(chunks, [A]) == RetrievalScore(0.0, 0.0, 0.0, 0.0, 0, 1)
    # With an overlapping third chunk that holds the whole sentence, the fact is covered and found at rank 3.
    chunks.append(body[body.index("The council") :])
    assert fact_covered(A, chunks)
    assert reciprocal_rank(chunks, [A]) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("fact", "chunk", "relevant"),
    [
        pytest.param("pays 4\nmillion", "pays  4 million", True, id="newline-and-spaces-deleted"),
        pytest.param("pays 4 million", "pays4\n\nmillion", True, id="chunk-newlines-deleted"),
        pytest.param("pays\t4", "pays 4", False, id="tab-kept"),
        pytest.param("4\u00a0million", "4 million", False, id="nbsp-kept"),
        pytest.param("The Council", "the council", False, id="case-kept"),
        pytest.param("pays 4 million.", "pays 4 million", False, id="punctuation-kept"),
    ],
)
def test_normalisation_deletes_only_spaces_and_newlines(fact: str, chunk: str, relevant: bool) -> None:
    assert bool(facts_in(chunk, [normalise(fact)])) is relevant
    assert hits_at([chunk], [fact], 4) == (1.0 if relevant else 0.0)


def test_duplicate_and_empty_facts_are_dropped() -> None:
    # "A" and "A" with different spacing are one fact; a whitespace-only fact would match every chunk.
    assert distinct_facts([A, A.replace(" ", "  "), " \n", B]) == [normalise(A), normalise(B)]
    # So AP divides by 2, not 3: A at rank 1 → (1/1) / 2 = 0.5.
    assert average_precision_upstream([A], [A, A.replace(" ", "\n"), B]) == 0.5


def test_header_is_part_of_the_scored_text() -> None:
    head = upstream_header("Barrier vote", "2025-03-04T09:15:00+00:00", "Harbour Gazette")
    assert head == ("[Excerpt from document]\ntitle: Barrier vote\npublished_at: 2025-03-04T09:15:00+00:00\n"
                    "source: Harbour Gazette\nExcerpt:\n-----\n")
    assert facts_in(head + A, [normalise("source: Harbour Gazette")])  # outlet words in the header can match


def test_null_query_has_no_retrieval_score() -> None:
    with pytest.raises(ValueError, match="null"):
        average_precision_upstream([A], [])
    assert evidence_found([A], []) == (0, 0)


def test_aggregate_skips_null_queries_for_retrieval_and_pools_recalls() -> None:
    q1 = score_ranking([A, B], [A, B])  # hits 1/1, RR 1, AP (1 + 1/2) / 2 = 0.75, 2 of 2 facts
    q2 = score_ranking([NOISE, C], [A, B, C, "Gone."])  # hits@4 1, RR 1/2, AP (1/2) / 4 = 0.125, 1 of 4 facts
    outcomes = [
        QueryOutcome("comparison_query", False, False, q1, (2, 2), (1, 2), (normalise(A), normalise(B))),
        QueryOutcome("inference_query", False, True, q2, (1, 3), (0, 1), tuple(map(normalise, (A, B, C, "Gone.")))),
        QueryOutcome("null_query", True, True),
        QueryOutcome("null_query", True, False),
    ]
    covered = {normalise(A): True, normalise(B): True, normalise(C): True, normalise("Gone."): False}
    stats = aggregate(outcomes, covered)
    # Retrieval: over the 2 non-null queries only. MRR (1 + 0.5) / 2 = 0.75; MAP (0.75 + 0.125) / 2 = 0.4375.
    assert stats["hits@4"] == Stat(1.0, 2) and stats["mrr@10"] == Stat(0.75, 2) and stats["map@10"] == Stat(0.4375, 2)
    assert stats["complete@10"] == Stat(0.5, 2)
    # Pooled, not averaged per query: (2 + 1) / (2 + 4) = 0.5 (a per-query mean would give 0.625).
    assert stats["evidence_recall@10"] == Stat(0.5, 6)
    assert stats["article_recall@10"] == Stat(3 / 5, 5) and stats["outlet_recall"] == Stat(1 / 3, 3)
    # Coverage counts distinct facts once: A, B, C, "Gone." → 3 of 4.
    assert stats["fact_coverage"] == Stat(0.75, 4)
    # Abstention: 1 of 2 null queries abstained (good); 1 of 2 answerable ones abstained (false abstention).
    assert stats["null_abstention"] == Stat(0.5, 2) and stats["false_abstention"] == Stat(0.5, 2)
    nulls_only = aggregate(outcomes[2:], covered)
    assert nulls_only["hits@10"] == Stat(None, 0) and nulls_only["fact_coverage"] == Stat(None, 0)
    assert nulls_only["false_abstention"] == Stat(None, 0)


def test_set_recall_and_intervals() -> None:
    assert set_recall(["The Verge", "TechCrunch", "The Verge"], ["TechCrunch", "Wired"]) == (1, 2)
    # 1.96 * sqrt(0.6 * 0.4 / 671) = 1.96 * 0.01891 = 0.0371 (eval-multihop.md §5: about ±0.037).
    assert ci95(0.6, 671) == pytest.approx(0.0371, abs=1e-4)
    assert math.isnan(ci95(0.5, 0))
    assert format_stat("hits@4", Stat(0.6, 671)) == "0.600 ± 0.037"
    assert format_stat("mrr@10", Stat(0.6, 671)) == "0.600" and format_stat("hits@4", Stat(None, 0)) == "–"
