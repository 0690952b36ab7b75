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


def _article(body: str, score: float = 0.6, *, article_id: str = "a-2", title: str = "Report") -> Passage:
    """One passage holding a whole hand-made article body (a paragraph per line, as ingest stores them)."""
    gazette = OutletRef("harbourgazette.example", "harbourgazette.example")
    return Passage(
        chunk_id=f"c-{article_id}", article_id=article_id, text=body, start=0, end=len(body), title=title,
        url=f"https://harbourgazette.example/{article_id}", published_at="2026-10-22T09:00:00Z",
        publisher=gazette, original=gazette, score=score,
    )


TURKEY = (
    "Turkey's central bank raised its main interest rate to 40 percent on Thursday.\n"
    "Analysts said the decision would slow inflation in Turkey, which reached 61 percent in October.\n"
    "At least 12 people died when a bus overturned near the Greek border, officials said."
)


def test_question_whose_key_event_is_absent_abstains_and_says_what_is_missing(registry: OutletRegistry) -> None:
    result = answer("How many people died in the Turkey earthquake?", [_article(TURKEY, 0.45, title="Turkey")],
                    registry, min_relevance=0.3)
    assert result.abstained and result.citations == (), result.answer
    assert result.answer == "The articles found mention Turkey, but nothing about an earthquake."


def test_paraphrased_question_is_still_answered(registry: OutletRegistry) -> None:
    body = ("U.S. greenhouse gas emissions dropped 1.9 percent last year as coal plants closed, the report found.\n"
            "The group expects a smaller decline this year.")
    result = answer("How much did US emissions fall?", [_article(body, 0.55)], registry, min_relevance=0.3)
    assert not result.abstained, result.answer
    assert result.citations[0].quote.startswith("U.S. greenhouse gas emissions dropped 1.9 percent")


SWITCH = (
    "Nintendo said the Switch 2 will go on sale on June 5, priced at $449.\n"
    "Super Mario Bros. Wonder will be released Oct. 20 on Nintendo Switch."
)


@pytest.mark.parametrize(("question", "body", "answered"), [
    pytest.param("When does the Nintendo Switch 2 come out?", SWITCH.split("\n")[1], False, id="only-switch-1"),
    pytest.param("When does the Nintendo Switch 2 come out?", SWITCH, True, id="switch-2-named"),
    pytest.param("when is the nintendo switch 2 coming out", SWITCH.split("\n")[1], False, id="lower-case"),
    pytest.param("How did the Rangers do in Games 3 and 4?", "The Rangers won Game 3 of the series 3-1, at home.",
                 True, id="plural-word"),
])
def test_numbered_name_must_be_named_with_its_number(registry: OutletRegistry, question: str, body: str,
                                                     answered: bool) -> None:
    # Last session's absent topics: "the Pixel 9", "Switch 2", "Game 7", asked of articles on the Pixel 8.
    result = answer(question, [_article(body, 0.55, title="Nintendo")], registry, min_relevance=0.3)
    assert result.abstained is not answered, result.answer
    if not answered:
        assert result.answer in ("The articles found say nothing about Switch 2.",
                                 "The articles found say nothing about switch 2."), result.answer


def test_quantity_question_needs_a_number(registry: OutletRegistry) -> None:
    body = ("The flood killed residents of the lower town and destroyed dozens of homes, the mayor said.\n"
            "Rescue teams searched the river banks on Sunday.")
    result = answer("How many people died in the flood?", [_article(body.replace("dozens of ", ""), 0.55)],
                    registry, min_relevance=0.3)
    assert result.abstained, result.answer
    assert result.answer == "The articles found mention flood, but give no figure for what is asked."


def test_one_sentence_is_quoted_when_it_answers(registry: OutletRegistry) -> None:
    body = ("The barrier will cost $312 million over six years.\n"
            "The cost of the barrier was debated for four hours.\n"
            "Critics of the barrier say its cost is too high.")
    result = answer("How much will the barrier cost?", [_article(body, 0.6)], registry, min_relevance=0.3)
    assert [c.quote for c in result.citations] == ["The barrier will cost $312 million over six years."]


def test_adjacent_sentences_of_one_paragraph_are_one_quote(registry: OutletRegistry) -> None:
    body = ("The barrier will cost $312 million over six years. A state grant will pay for most of it.\n"
            "Opponents walked out of the chamber.")
    result = answer("How much will the barrier cost, and which grant pays for it?", [_article(body, 0.6)],
                    registry, min_relevance=0.3)
    assert [c.quote for c in result.citations] == [
        "The barrier will cost $312 million over six years. A state grant will pay for most of it."]
    assert body[result.citations[0].start : result.citations[0].end] == result.citations[0].quote


def test_sentences_of_two_paragraphs_are_never_one_quote(registry: OutletRegistry) -> None:
    body = ("The barrier will cost $312 million over six years.\n"
            "A state grant will pay for most of it.\n"
            "Opponents walked out of the chamber.")
    result = answer("How much will the barrier cost, and which grant pays for it?", [_article(body, 0.6)],
                    registry, min_relevance=0.3)
    quotes = [c.quote for c in result.citations]
    assert quotes and all("\n" not in q for q in quotes), quotes
    assert sorted(quotes) == ["A state grant will pay for most of it.",
                              "The barrier will cost $312 million over six years."]


def test_pronoun_quote_is_not_joined_to_the_paragraph_before(registry: OutletRegistry) -> None:
    body = ("Mayor Helena Vasquez-Reid opened the debate.\n"
            "\"We cannot afford another flood,\" she said.")
    result = answer("What did she say about the flood?", [_article(body, 0.6)], registry, min_relevance=0.3)
    assert [c.quote for c in result.citations] == ["\"We cannot afford another flood,\" she said."]


UNION = (
    "Students at the university said the strike had cost them weeks of teaching this term.\n"
    "\"Our members have been left with no choice but to walk out,\" said Jo Grady, general secretary of the "
    "University and College Union (UCU).\n"
    "\"The union and the UCU strike have my support, and the strike has the support of students,\" said "
    "Priya Shah, a third-year student."
)


@pytest.mark.parametrize("question", [
    pytest.param("What did the head of the UCU say?", id="head-of-ucu"),
    pytest.param("What did the union leader say about the strike?", id="union-leader"),
])
def test_role_question_prefers_the_quote_whose_speaker_has_the_role(registry: OutletRegistry,
                                                                    question: str) -> None:
    result = answer(question, [_article(UNION, 0.5, title="University staff strike")], registry, min_relevance=0.3)
    assert not result.abstained, result.answer
    assert "Jo Grady" in result.citations[0].quote, [c.quote for c in result.citations]
