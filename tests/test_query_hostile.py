"""The question parser (``bot.retrieval.query``) on hostile questions: odd Unicode, bombs, any text at all.

Every entry point must return (never raise) and finish within its time budget whatever the question holds.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.retrieval.query import (
    MAX_QUESTION_CHARS,
    DateSpec,
    OutletMatcher,
    find_dates,
    month_number,
    proper_names,
    single_names,
)
from bot.retrieval.retriever import _CLAUSE_SPLIT
from ingest.outlets import OutletRegistry
from tests.budget import within

BUDGET = 1.0  # seconds for one call; the parser takes milliseconds on a real question


@pytest.fixture(scope="module")
def matcher() -> OutletMatcher:
    """A matcher like the retriever's: a few outlets in the collection, every other registry outlet absent."""
    names = sorted(o.name for o in OutletRegistry.bundled().by_name.values())
    present = {name: {name.casefold()} for name in names[:40]}
    return OutletMatcher(present, names[40:])


@pytest.mark.parametrize(("question", "month"), [
    pytest.param("What happened on ſeptember 5, 2023?", 9, id="long-s"),
    pytest.param("What happened on 5 ſept. 2023?", 9, id="long-s-abbreviation"),
    pytest.param("What happened on Apr\u0130l 5, 2023?", None, id="dotted-capital-i"),
    pytest.param("What happened on apr\u0131l 5, 2023?", None, id="dotless-i"),
    pytest.param("What happened in Ju\u0131y?", None, id="dotless-i-month-only"),
])
def test_letters_that_only_fold_to_a_month_name_never_raise(question: str, month: int | None) -> None:
    dates = find_dates(question)
    assert [d.month for d in dates][:1] == ([month] if month else []), dates


def test_a_long_s_september_is_september() -> None:
    assert find_dates("Who resigned on ſeptember 5, 2023?") == [DateSpec(2023, 9, 5, 16)]
    assert month_number("ſEPT.") == 9 and month_number("\uff4f\uff43\uff54") == 10, "NFKC: full-width letters"
    assert month_number("notamonth") is None


@pytest.mark.parametrize("question", [
    pytest.param("x A" + "b" * 30_000 + "1", id="single-name-backtracking"),
    pytest.param("in october " * 20_000, id="twenty-thousand-months"),
    pytest.param("ſeptember 5, 2023 " * 10_000, id="ten-thousand-dates"),
    pytest.param("Abc " * 30_000 + "x", id="one-long-name"),
    pytest.param("AbAb" * 30_000, id="camel-case-word"),
    pytest.param("5 " + " " * 100_000 + "May", id="whitespace-run"),
    pytest.param("according to " * 10_000 + "Reuters", id="news-context-run"),
])
def test_bombs_finish_in_budget(question: str, matcher: OutletMatcher) -> None:
    within(BUDGET, find_dates, question)
    within(BUDGET, proper_names, question)
    within(BUDGET, single_names, question)
    within(BUDGET, matcher.find, question)


def test_a_question_naming_every_outlet_many_times_finishes_in_budget(matcher: OutletMatcher) -> None:
    names = sorted(o.name for o in OutletRegistry.bundled().by_name.values())
    question = "".join(f"according to {name}'s report, " for name in names * 20)
    mentions = within(BUDGET, matcher.find, question)
    assert mentions and all(m.end <= MAX_QUESTION_CHARS for m in mentions), "only the first part is read"


def test_a_question_is_read_up_to_the_limit_and_no_further() -> None:
    date = "on October 5, 2023"
    assert find_dates(" " * (MAX_QUESTION_CHARS - len(date)) + date), "a date that ends at the limit counts"
    assert find_dates(" " * (MAX_QUESTION_CHARS - len(date) + 1) + date) == [], "a date past it is ignored"


# Text that looks like what the parser looks for: months, days, years, names, outlet contexts, odd letters.
_PIECES = st.sampled_from([
    "October", "oct.", "Sept", "ſeptember", "\u212aelvin", "in ", "of ", "5", "31st", "2023", "-", "20", "19",
    " ", "  ", "\n", ",", ".", "'", "’", "according to ", "reported by ", "Reuters", "The Verge", "BBC", "'s ",
    "Oleg", "Fomenko", "Van", "der", "A.", "McDonald", "x", "\u0130", "\ufb00", "\u0663", "\ud800", "🚢", "\x00",
])
_QUESTIONS = st.one_of(st.text(max_size=300), st.lists(_PIECES, max_size=80).map("".join))


@pytest.mark.fuzz
@given(question=_QUESTIONS)
def test_any_question_parses_without_raising_in_budget(question: str, matcher: OutletMatcher) -> None:
    dates = within(BUDGET, find_dates, question)
    for date in dates:
        assert 1 <= date.month <= 12 and (date.bounds() is not None) == (date.year is not None), date
    mentions = within(BUDGET, matcher.find, question)
    spans = [(m.start, m.end) for m in mentions]
    assert all(0 <= s < e <= len(question) for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(sorted(spans), sorted(spans)[1:], strict=False)), "mentions overlap"
    for name in within(BUDGET, proper_names, question, spans) + within(BUDGET, single_names, question, spans):
        assert name.split() and all(word in question for word in name.split()), name


@pytest.mark.parametrize(("question", "clauses"), [
    pytest.param("Did the mayor speak  while the  union   but also", ["Did the mayor speak", "the  union", "also"],
                 id="runs-of-spaces"),
    pytest.param("Who sued, and who has paid?", ["Who sued", "and who has paid?"], id="punctuation"),
    pytest.param("What did RT say \tand  the BBC report", ["What did RT say", "the BBC report"], id="and-the"),
])
def test_clause_splitting_is_unchanged_and_linear(question: str, clauses: list[str]) -> None:
    assert _CLAUSE_SPLIT.split(question) == clauses
    within(BUDGET, _CLAUSE_SPLIT.split, "a" + " " * 50_000 + "b")
    within(BUDGET, _CLAUSE_SPLIT.split, "a" + " \t" * 25_000 + "and")
