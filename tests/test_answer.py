"""The extractive answerer, on hand-made passages: pure, no store, no model."""

from __future__ import annotations

import pytest

from bot.answering.extractive import CANNOT_ANSWER, answer
from bot.cli.render import render_answer
from ingest.outlets import OutletRegistry
from ingest.types import OutletRef, Passage

BODY = (
    "The council approved the flood barrier by seven votes to six on Tuesday.\n\n"
    "Mayor Helena Vasquez-Reid said the city could not afford another flood. "
    "The barrier will cost $312 million over six years."
)


def _passage(text: str, score: float, *, original: OutletRef | None, publisher: OutletRef | None,
             article_id: str = "a-1") -> Passage:
    start = BODY.index(text)
    return Passage(
        chunk_id=f"c-{start}", article_id=article_id, text=text, start=start, end=start + len(text),
        title="Council backs barrier", url="https://host.example/x", published_at="2026-10-22T09:00:00Z",
        publisher=publisher, original=original, score=score,
    )


@pytest.fixture(scope="module")
def registry() -> OutletRegistry:
    return OutletRegistry.bundled()


def test_quotes_the_sentence_that_answers(registry: OutletRegistry) -> None:
    gazette = OutletRef("harbourgazette.example", "harbourgazette.example")
    passages = [_passage(BODY.split("\n\n")[1], 0.6, original=gazette, publisher=gazette),
                _passage(BODY.split("\n\n")[0], 0.4, original=gazette, publisher=gazette)]
    result = answer("How much will the barrier cost?", passages, registry, min_relevance=0.3)
    assert not result.abstained
    first = result.citations[0]
    assert first.quote == "The barrier will cost $312 million over six years."
    assert BODY[first.start : first.end] == first.quote
    assert first.n == 1 and "[1]" in result.answer
    assert first.outlet.name == "The Harbour Gazette" and first.outlet.kind == "commercial"
    assert first.republished_by is None


def test_republished_passage_names_original_and_host(registry: OutletRegistry) -> None:
    passage = _passage(BODY.split("\n\n")[0], 0.7, original=OutletRef("rt.com", "rt.com"),
                       publisher=OutletRef("USSANews.com", "ussanews.com"))
    result = answer("How did the council vote on the barrier?", [passage], registry, min_relevance=0.3)
    citation = result.citations[0]
    assert (citation.outlet.name, citation.outlet.kind, citation.outlet.country) == ("RT", "state-controlled", "Russia")
    assert citation.republished_by is not None and citation.republished_by.name == "USSANews.com"
    assert ("[1] RT (rt.com) — state-controlled media, Russia · EU broadcast ban since 2022-03-01 (Reg. 2022/350 and "
            "later acts) · republished by USSANews.com") in render_answer(result)


def test_unknown_outlet_is_said_to_be_unknown(registry: OutletRegistry) -> None:
    blog = OutletRef("someblog.example", "someblog.example")
    result = answer("How did the council vote?", [_passage(BODY.split("\n\n")[0], 0.7, original=blog, publisher=blog)],
                    registry, min_relevance=0.3)
    assert result.citations[0].outlet.kind == "unknown"
    assert "someblog.example — outlet not in the registry" in render_answer(result)


def test_abstains_below_the_relevance_threshold(registry: OutletRegistry) -> None:
    passage = _passage(BODY.split("\n\n")[0], 0.12, original=None, publisher=None)
    result = answer("What is the best banana bread recipe?", [passage], registry, min_relevance=0.3)
    assert result.abstained and result.answer == CANNOT_ANSWER and result.citations == ()


def test_abstains_without_passages(registry: OutletRegistry) -> None:
    assert answer("Anything?", [], registry, min_relevance=0.3).abstained


def test_repeated_sentences_from_overlapping_chunks_are_quoted_once(registry: OutletRegistry) -> None:
    gazette = OutletRef("harbourgazette.example", "harbourgazette.example")
    whole = _passage(BODY, 0.6, original=gazette, publisher=gazette)
    tail = _passage(BODY.split("\n\n")[1], 0.5, original=gazette, publisher=gazette)
    result = answer("barrier cost million", [whole, tail], registry, min_relevance=0.3, max_quotes=3)
    quotes = [c.quote for c in result.citations]
    assert len(quotes) == len(set(quotes))
