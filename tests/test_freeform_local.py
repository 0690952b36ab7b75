"""The local free-form set (tests/data/freeform_local.json) and its harness, bench/eval_freeform_local.py.

Format: unique qids, the item shape, and every fact verbatim in the body newsdesk extracts from its file (parsed
with ingest's loaders, no store). End to end: the harness on the samples-only questions, in tmp_path with the
real embedder and Chroma on disk; the numbers must be computed, whatever they are.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from bench.eval_freeform_local import (
    EVAL_DIR,
    QUESTIONS,
    REALWEB,
    askable,
    collection_sources,
    load_questions,
    render,
    run,
    source_path,
    summary,
)
from bot.settings import BotSettings
from ingest.embedder import MiniLMEmbeddings
from ingest.loaders import load_file
from ingest.types import Article

QUESTIONS_ALL = load_questions(QUESTIONS)


@cache
def _bodies(path: Path) -> tuple[str, ...]:
    return tuple(a.body for a in load_file(path) if isinstance(a, Article))


def test_qids_are_unique_and_numbered() -> None:
    qids = [q.qid for q in QUESTIONS_ALL]
    assert len(qids) == len(set(qids)), "duplicate qids"
    assert all(re.fullmatch(r"fl-loc-\d{3}", qid) for qid in qids), qids


def test_items_have_the_documented_shape() -> None:
    for q in QUESTIONS_ALL:
        if q.is_null:
            assert not q.facts and q.answer == "Insufficient information.", q.qid
        else:
            assert q.question_type == "free_form" and 1 <= len(q.facts) <= 2, q.qid
            assert all(s.startswith(("samples/", "realweb/pages/", "realweb/feeds/")) for s in q.sources), q.qid
    assert sum(q.is_null for q in QUESTIONS_ALL) >= 15, "at least 15 absent-topic questions"
    assert len(QUESTIONS_ALL) >= 60


def test_every_sample_fact_is_in_the_body_newsdesk_extracts() -> None:
    checked = 0
    for q in QUESTIONS_ALL:
        for source, fact in zip(q.sources, q.facts, strict=True):
            if source.startswith("samples/"):
                assert any(fact in body for body in _bodies(source_path(source))), f"{q.qid}: {fact[:60]}"
                checked += 1
    assert checked >= 15


def test_every_realweb_fact_is_in_the_body_newsdesk_extracts() -> None:
    if not (REALWEB / "pages").is_dir():
        pytest.skip(f"no real pages at {REALWEB} (../shared is absent)")
    for q in QUESTIONS_ALL:
        for source, fact in zip(q.sources, q.facts, strict=True):
            if source.startswith("realweb/"):
                assert any(fact in body for body in _bodies(source_path(source))), f"{q.qid}: {fact[:60]}"


def test_without_shared_only_samples_and_absent_topics_are_asked() -> None:
    chosen = askable(QUESTIONS_ALL, realweb_present=False)
    assert chosen and all(all(s.startswith("samples/") for s in q.sources) for q in chosen)
    assert {q.qid for q in chosen} >= {q.qid for q in QUESTIONS_ALL if q.is_null}


def test_harness_end_to_end_on_the_samples(settings: BotSettings, embeddings: MiniLMEmbeddings,
                                           tmp_path: Path) -> None:
    questions = askable(QUESTIONS_ALL, realweb_present=False)
    files = collection_sources(None)
    first = run(settings, questions, files, embeddings=embeddings)
    assert first.collection["added"] == len(files), first.collection
    assert (settings.data_dir / EVAL_DIR).is_dir()
    stats = summary(first.results)
    for name in ("hits@4", "hits@10", "mrr@10", "with_evidence", "false_abstention", "null_abstention"):
        value = stats[name].value
        assert value is not None and 0.0 <= value <= 1.0, (name, value)
    assert stats["hits@10"].value >= stats["hits@4"].value  # type: ignore[operator]
    report = render(first)
    (tmp_path / "report.md").write_text(report, encoding="utf-8")
    assert f"| **all** | {len(questions)} |" in report
    assert "| absent topic |" in report and "| samples |" in report and "| realweb |" not in report

    again = run(settings, questions[:1], files, embeddings=embeddings)
    assert again.collection["added"] == 0 and again.collection["unchanged"] == len(files), again.collection
