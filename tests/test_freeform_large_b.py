"""Part B of the large free-form set (tests/data/freeform_large_b.json): its shape, and its evidence against the
MultiHop-RAG corpus (skipped when ../shared is absent), as docs/freeform-local-set.md describes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ITEMS = json.loads((DATA / "freeform_large_b.json").read_text(encoding="utf-8"))
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "multihop-rag" / "corpus.json"
COPIED = ("title", "author", "url", "source", "category", "published_at")


def test_qids_are_unique_and_numbered() -> None:
    qids = [item["qid"] for item in ITEMS]
    assert len(qids) == len(set(qids)) and all(re.fullmatch(r"fl-b-\d{3}", q) for q in qids), qids
    assert len(ITEMS) >= 110


def test_shape_and_mix() -> None:
    nulls = [i for i in ITEMS if i["question_type"] == "null_query"]
    assert all(i["evidence_list"] == [] and i["answer"] == "Insufficient information." for i in nulls)
    answerable = [i for i in ITEMS if i["question_type"] != "null_query"]
    assert all(i["question_type"] == "free_form" and 1 <= len(i["evidence_list"]) <= 2 for i in answerable)
    two = [i for i in answerable if len(i["evidence_list"]) == 2]
    assert all(i["evidence_list"][0]["url"] != i["evidence_list"][1]["url"] for i in two)
    assert len(nulls) >= 20 and len(two) >= 12
    assert len({e["url"] for i in ITEMS for e in i["evidence_list"]}) >= 70


def test_no_business_technology_or_entertainment_articles() -> None:
    categories = {e["category"] for i in ITEMS for e in i["evidence_list"]}
    assert not categories & {"business", "technology", "entertainment"}, categories


def test_the_72_question_dev_set_is_not_reused() -> None:
    dev = json.loads((DATA / "freeform_dev.json").read_text(encoding="utf-8"))
    dev_facts = {(e["url"], e["fact"]) for item in dev for e in item["evidence_list"]}
    dev_queries = {item["query"].casefold() for item in dev}
    for item in ITEMS:
        assert item["query"].casefold() not in dev_queries, item["qid"]
        assert not {(e["url"], e["fact"]) for e in item["evidence_list"]} & dev_facts, item["qid"]


def test_evidence_is_copied_from_the_corpus_and_facts_are_verbatim() -> None:
    if not CORPUS.is_file():
        pytest.skip(f"no corpus at {CORPUS} (../shared is absent)")
    corpus = {a["url"]: a for a in json.loads(CORPUS.read_text(encoding="utf-8"))}
    for item in ITEMS:
        for evidence in item["evidence_list"]:
            article = corpus[evidence["url"]]
            assert evidence["fact"] in article["body"], (item["qid"], evidence["fact"][:60])
            assert all(evidence[key] == article[key] for key in COPIED), item["qid"]
