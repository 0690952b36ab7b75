"""What a question asks about (bot/answering/coverage.py) and who a role question asks for (roles.py): pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.answering.coverage import (
    has_number,
    key_content,
    missing_terms,
    numbered_names,
    stems_of,
    unmatched_numbered_names,
)
from bot.answering.extractive import answer
from bot.answering.roles import role_in, speaker_matches
from ingest.outlets import OutletRegistry
from ingest.types import Passage
from tests.budget import within


@pytest.mark.parametrize(("question", "words", "quantity"), [
    pytest.param("How many people died in the Turkey earthquake?", ["died", "Turkey", "earthquake"], True, id="turkey"),
    pytest.param("What did the head of the UCU say?", ["UCU"], False, id="role-word-left-out"),
    pytest.param("What happened on ſeptember 5, 2026 to the flood barrier?", ["flood", "barrier"], False,
                 id="dates-left-out"),
    pytest.param("What's the price of the pixel 9", ["price", "pixel"], False, id="whats"),
])
def test_key_terms_leave_out_question_scaffolding(question: str, words: list[str], quantity: bool) -> None:
    key = key_content(question)
    assert [t.word for t in key.terms] == words and key.quantity is quantity


@pytest.mark.parametrize(("question", "text"), [
    pytest.param("How much did US emissions fall?", "U.S. emissions dropped 2 percent.", id="fall-dropped"),
    pytest.param("How many people died?", "The blast killed 12.", id="died-killed"),
    pytest.param("Is cannabis riskier in pregnancy?", "Cannabis carries a higher risk in pregnancy.", id="riskier"),
    pytest.param("When did the ministers meet?", "The ministers met on Tuesday.", id="meet-met"),
])
def test_paraphrases_cover_the_key_terms(question: str, text: str) -> None:
    assert missing_terms(key_content(question), stems_of(text)) == ()


@pytest.mark.parametrize(("question", "named"), [
    pytest.param("When does the Nintendo Switch 2 come out?", (("Switch", "2"),), id="capitalised"),
    pytest.param("what's the price of the pixel 9", (("pixel", "9"),), id="all-lower-case"),
    pytest.param("How many runs did the Rangers score in Game 7?", (("Game", "7"),), id="game-7"),
    pytest.param("Did Amazon cut 200 jobs?", (), id="quantity-not-name"),
    pytest.param("What happened on November 6, 2023?", (), id="date"),
    pytest.param("What did Apple say on Nov 12?", (), id="abbreviated-date"),
    pytest.param("Is COVID-19 rising in the UK?", (), id="hyphenated"),
    pytest.param("Who sold 9.5 million Switch units?", (), id="decimal"),
])
def test_numbered_names(question: str, named: tuple[tuple[str, str], ...]) -> None:
    assert numbered_names(question) == named


@pytest.mark.fuzz
@given(st.text(alphabet="Aa1 9-'’.,\n", max_size=2000), st.text(alphabet="Aa1 9-.\n", max_size=5000))
def test_numbered_names_are_few_and_fast_on_any_text(question: str, text: str) -> None:
    missing = within(1.0, unmatched_numbered_names, question, [text])
    assert len(missing) <= 3 and set(missing) <= {f"{w} {n}" for w, n in numbered_names(question)}


def test_a_list_of_numbered_names_is_not_searched_one_by_one() -> None:
    question = "Which of " + " ".join(f"Model {n}" for n in range(1, 400)) + "?"
    assert within(1.0, unmatched_numbered_names, question, ["Model 5 " * 5000]) == ("Model 1", "Model 2", "Model 3")


def test_numbers_in_words_count() -> None:
    assert has_number("Twelve people were hurt") and has_number("a $3m grant") and not has_number("Many were hurt")


def test_role_matches_speaker_with_the_role_and_its_qualifier() -> None:
    role = role_in("What did the union leader say?")
    assert role is not None and role.qualifiers == frozenset({"union"})
    grady = "\"We had no choice,\" said Jo Grady, general secretary of the University and College Union."
    shah = "\"We had no choice,\" said Priya Shah, a union member."
    assert speaker_matches(role, grady, stems_of(grady))
    assert not speaker_matches(role, shah, stems_of(shah)), "a union member is no union leader"
    assert role_in("What did the traders say?") is None


_PARAGRAPH = st.lists(st.sampled_from(["The barrier will cost $312 million.", "\"It is too much,\" she said.",
                                       "Critics of the levy say the cost is too high.", "The vote was close.",
                                       "Mayor Reid backed it.", "", "x."]), min_size=1, max_size=4).map(" ".join)


@pytest.mark.fuzz
@given(st.lists(_PARAGRAPH, min_size=1, max_size=6).map("\n".join),
       st.sampled_from(["How much will the barrier cost?", "What did the mayor say?", "How did the vote go?",
                        "What did the head of the levy board say about the cost?"]))
def test_quotes_are_verbatim_and_never_cross_a_paragraph(body: str, question: str) -> None:
    passage = Passage(chunk_id="c-1", article_id="a-1", text=body, start=0, end=len(body), title="Barrier",
                      url=None, published_at=None, publisher=None, original=None, score=0.6)
    result = within(2.0, answer, question, [passage], OutletRegistry.from_outlets([]), min_relevance=0.3)
    for citation in result.citations:
        assert body[citation.start : citation.end] == citation.quote
        assert "\n" not in citation.quote, "a quote crosses a paragraph break"
