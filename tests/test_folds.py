"""Cross-validation folds for the ranker (issue #15): questions about one article stay in one fold, a
two-article question pulls both articles' questions together, and several query files load as one set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.fit_ranker import FREEFORM_GLOB, UNTOUCHED, freeform_files
from bot.evaluation.folds import assign_folds, evidence_groups, query_kinds
from bot.evaluation.multihop import EvalDataError, EvalQuery, GoldItem, load_query_files
from tests.budget import within


def _query(qid: str, *urls: str, text: str = "What happened?", tags: tuple[str, ...] = ()) -> EvalQuery:
    evidence = tuple(GoldItem(f"fact {qid} {url}", url, None) for url in urls)
    return EvalQuery(qid, text, "free_form", not urls, evidence, tags=tags)


def test_a_two_article_question_joins_both_articles_groups() -> None:
    queries = [_query("q1", "a"), _query("q2", "b"), _query("q3", "c"), _query("q4", "a", "b"), _query("q5")]
    groups = evidence_groups(queries)
    assert groups[0] == groups[1] == groups[3], "q4 asks about a and b: every question on a or b is one group"
    assert len({groups[0], groups[2], groups[4]}) == 3, "c, and the question without evidence, stand alone"


def test_chains_of_two_article_questions_are_one_group() -> None:
    # a-b, then c-d, then b-c: the last joins two groups that were built apart.
    queries = [_query("1", "a", "b"), _query("2", "c", "d"), _query("3", "e"), _query("4", "b", "c"), _query("5", "d")]
    groups = evidence_groups(queries)
    assert groups[0] == groups[1] == groups[3] == groups[4] != groups[2]


def test_folds_keep_groups_whole_and_even() -> None:
    queries = [_query(str(i), f"u{i // 2}") for i in range(20)] + [_query("x", "u0", "u9")]
    fold_of = assign_folds(queries, 5)
    assert set(fold_of) == set(range(5))
    assert fold_of[0] == fold_of[1] == fold_of[18] == fold_of[19] == fold_of[20], "u0 and u9 are joined by x"
    sizes = sorted(fold_of.count(f) for f in range(5))
    assert sizes[-1] - sizes[0] <= 5, sizes  # the largest group has 5 questions
    assert fold_of == assign_folds(queries, 5), "the same questions give the same folds"
    with pytest.raises(ValueError, match="at least 2"):
        assign_folds(queries, 1)


@pytest.mark.fuzz
@given(st.lists(st.lists(st.sampled_from("abcdefghijklmnop"), max_size=3), min_size=1, max_size=60),
       st.integers(2, 7))
def test_no_article_is_in_two_folds(evidence: list[list[str]], folds: int) -> None:
    queries = [_query(str(i), *dict.fromkeys(urls)) for i, urls in enumerate(evidence)]
    fold_of = within(2.0, assign_folds, queries, folds)
    assert all(0 <= f < folds for f in fold_of) and len(fold_of) == len(queries)
    seen: dict[str, int] = {}
    for query, fold in zip(queries, fold_of, strict=True):
        for url in query.urls:
            assert seen.setdefault(url, fold) == fold, f"article {url} is in folds {seen[url]} and {fold}"


def test_kinds_come_from_the_file_or_from_the_question() -> None:
    assert query_kinds(_query("1", "a", text="Why did the shares fall?")) == ("single-article", "why")
    assert query_kinds(_query("2", "a", "b", text="How many jobs went at both firms?")) == ("two-article",
                                                                                          "how much/many")
    assert query_kinds(_query("3")) == ("absent topic",)
    assert query_kinds(_query("4", "a", text="Why?", tags=("role",))) == ("role",)


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def _record(qid: str, **extra: object) -> dict:
    return {"qid": qid, "query": f"question {qid}?", "question_type": "free_form",
            "evidence_list": [{"fact": "x", "url": f"https://e.test/{qid}"}], **extra}


def test_several_query_files_load_in_order_with_their_tags(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.json", [_record("a-1", tags=["role", "why"]), _record("a-2", kind="how much")])
    second = _write(tmp_path / "b.json", [_record("b-1"), {"qid": "b-2", "query": "absent?", "null_query": True,
                                                          "evidence_list": []}])
    queries = load_query_files([first, second])
    assert [q.qid for q in queries] == ["a-1", "a-2", "b-1", "b-2"]
    assert [q.tags for q in queries] == [("role", "why"), ("how much",), (), ()]
    assert queries[3].is_null and not queries[3].evidence


def test_a_qid_given_twice_is_refused(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.json", [_record("q-1")])
    with pytest.raises(EvalDataError, match="also in"):
        load_query_files([first, _write(tmp_path / "b.json", [_record("q-1")])])
    with pytest.raises(EvalDataError, match="twice in it"):
        load_query_files([_write(tmp_path / "c.json", [_record("q-2"), _record("q-2")])])
    with pytest.raises(EvalDataError, match="tags"):
        load_query_files([_write(tmp_path / "d.json", [_record("q-3", tags="role")])])


def test_the_untouched_72_questions_are_never_fitted_on(tmp_path: Path) -> None:
    with pytest.raises(EvalDataError, match="untouched"):
        freeform_files([UNTOUCHED])
    assert UNTOUCHED not in freeform_files(None), f"the default glob {FREEFORM_GLOB} must not match it"
    given_files = [tmp_path / "x.json"]
    assert freeform_files(given_files) == given_files
