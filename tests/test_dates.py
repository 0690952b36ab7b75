"""Dates in questions (#17): ranges ("early October", "Q3 2023", "the weekend of 4 November") and relative dates
("last Tuesday", read by dateparser) resolved against the caller's reference day, never the clock."""

from __future__ import annotations

import calendar
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.retrieval.query import MAX_QUESTION_CHARS, DateSpec, find_dates
from bot.retrieval.retriever import Filters
from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.embedder import MiniLMEmbeddings
from tests.budget import within
from tests.conftest import SAMPLES

EXPRESSIONS = json.loads((Path(__file__).parent / "data" / "date_expressions.json").read_text(encoding="utf-8"))
BUDGET = 1.0


def _as_expected(spec: DateSpec) -> Any:
    """A found date in the data file's terms: [first day, last day], or {"any_year_month": m}."""
    if spec.first is not None and spec.last is not None:
        return [spec.first.isoformat(), spec.last.isoformat()]
    if spec.year is None:
        return {"any_year_month": spec.month}
    if spec.day is not None:
        return [date(spec.year, spec.month, spec.day).isoformat()] * 2
    last = calendar.monthrange(spec.year, spec.month)[1]
    return [date(spec.year, spec.month, 1).isoformat(), date(spec.year, spec.month, last).isoformat()]


def test_the_expression_set_is_large_enough() -> None:
    assert len(EXPRESSIONS) >= 50


@pytest.mark.parametrize("row", [pytest.param(r, id=f"{i}-{r['text'][:40]}") for i, r in enumerate(EXPRESSIONS)])
def test_date_expressions(row: dict[str, Any]) -> None:
    today = date.fromisoformat(row["today"]) if row["today"] else None
    found = [_as_expected(spec) for spec in find_dates(row["text"], today=today)]
    assert found == ([] if row["expect"] is None else [row["expect"]])


def test_relative_dates_need_a_reference_day() -> None:
    assert find_dates("What happened yesterday, and last Tuesday?") == [], "the parser never reads the clock"
    assert find_dates("What happened yesterday?", today=date(2024, 3, 1))[0].first == date(2024, 2, 29)


def test_a_range_covers_its_days_with_the_usual_slack() -> None:
    [quarter] = find_dates("Q3 2023")
    assert quarter.bounds() == (1688083200.0, 1696204800.0)  # 2023-06-30 00:00 to 2023-10-02 00:00 UTC


@pytest.mark.parametrize("question", [
    pytest.param("last tuesday " * 20_000, id="relative-run"),
    pytest.param("yesterday " * 50_000, id="yesterdays"),
    pytest.param("the weekend of 4 November " * 5_000, id="weekends"),
    pytest.param("Q3 2023 " * 20_000, id="quarters"),
    pytest.param("early October 2023 " * 20_000, id="parts-of-months"),
    pytest.param("Business Today " * 20_000, id="names-like-dates"),
    pytest.param("12 weeks ago " + "x" * 100_000, id="long-tail"),
])
def test_date_bombs_finish_in_budget(question: str) -> None:
    dates = within(BUDGET, find_dates, question, today=date(2023, 11, 15))
    assert all(d.start < MAX_QUESTION_CHARS for d in dates)


_PIECES = st.sampled_from([
    "last ", "this ", "past ", "previous ", "Tuesday", "weekend", "week", "month", "year", " ago", "3 days",
    "a fortnight", "yesterday", "Today", "early ", "mid-", "late ", "the end of ", "October", "ſeptember",
    "weekend of ", "4", "31st", "Q3", "third quarter", " of ", "2023", "19", " ", ",", ".", "Business ", "on ",
    "Night", "\u0130", "\ud800", "\x00",
])


@pytest.mark.fuzz
@given(question=st.one_of(st.text(max_size=200), st.lists(_PIECES, max_size=60).map("".join)),
       today=st.dates())
def test_any_question_with_any_reference_day_parses_in_budget(question: str, today: date) -> None:
    find_dates("yesterday", today=date(2023, 11, 15))  # imports dateparser once (≈ 0.3 s), outside the budget
    for spec in within(BUDGET, find_dates, question, today=today):
        assert 1 <= spec.month <= 12 and (spec.bounds() is not None) == (spec.year is not None), spec
        if spec.first is not None:
            assert spec.last is not None and spec.first <= spec.last


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Newsdesk:
    desk = Newsdesk(BotSettings(data_dir=tmp_path_factory.mktemp("dates")), embeddings=embeddings)
    desk.ingest([SAMPLES / name for name in ("01-harbour-ferry-strike.txt", "04-heatwave-water-restrictions.txt",
                                             "06-seagrass-restoration-study.txt")])
    return desk


@pytest.mark.parametrize(("today", "published"), [
    pytest.param(date(2026, 10, 21), "2026-10-14", id="the-ferry-strike-week"),
    pytest.param(date(2026, 11, 11), "2026-11-04", id="the-heatwave-week"),
    pytest.param(date(2026, 11, 25), "2026-11-19", id="the-seagrass-week"),
])
def test_last_week_steers_retrieval_from_the_callers_day(desk: Newsdesk, today: date, published: str) -> None:
    passages = desk.retrieve("What was reported last week?", k=3, filters=Filters(today=today))
    assert passages[0].published_at is not None and passages[0].published_at.startswith(published)


def test_without_a_reference_day_last_week_steers_nothing(desk: Newsdesk) -> None:
    # The same passages as with a reference day whose last week holds no article (2020): no date steers.
    unsteered = [p.chunk_id for p in desk.retrieve("What was reported last week?", k=3)]
    empty_week = desk.retrieve("What was reported last week?", k=3, filters=Filters(today=date(2020, 1, 8)))
    assert unsteered == [p.chunk_id for p in empty_week]
