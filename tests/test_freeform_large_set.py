"""The large free-form development set (#15, ``tests/data/freeform_large_*.json``) is well formed and honest.

Every file matching the glob is checked, so part B's file is covered as soon as it is merged: the format of
``freeform_dev.json``, qids unique across all files, null queries with no evidence, no question copying a run of
more than 4 words from its fact, no evidence reused from the separate 72-question set, and (when ``../shared`` is
present) each fact a verbatim substring of its article with the metadata copied unchanged from the corpus record.
See docs/freeform-large-set.md.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SHARED

DATA = ROOT / "tests" / "data"
FILES = sorted(DATA.glob("freeform_large_*.json"))
DEV = DATA / "freeform_dev.json"
CORPUS = SHARED / "data" / "multihop-rag" / "corpus.json"

ITEM_KEYS = {"qid", "query", "answer", "question_type", "evidence_list"}
METADATA_KEYS = ("title", "author", "url", "source", "category", "published_at")
EVIDENCE_KEYS = {*METADATA_KEYS, "fact"}
NULL_ANSWER = "Insufficient information."
# A paraphrase may share names and short phrases with its evidence, but not a run of 5 words or more.
MAX_SHARED_RUN = 4


def _items(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def longest_shared_run(question: str, fact: str) -> int:
    """Length of the longest run of consecutive lower-cased word tokens that ``question`` and ``fact`` share."""
    q, f = _words(question), _words(fact)
    best = 0
    # Classic longest-common-substring table over tokens, one row at a time.
    previous = [0] * (len(f) + 1)
    for qi in range(1, len(q) + 1):
        current = [0] * (len(f) + 1)
        for fi in range(1, len(f) + 1):
            if q[qi - 1] == f[fi - 1]:
                current[fi] = previous[fi - 1] + 1
                best = max(best, current[fi])
        previous = current
    return best


@pytest.fixture(scope="module")
def corpus() -> dict[str, dict[str, Any]]:
    if not CORPUS.is_file():
        pytest.skip(f"the MultiHop-RAG corpus is not at {CORPUS} (../shared/data is absent)")
    return {record["url"]: record for record in json.loads(CORPUS.read_text(encoding="utf-8"))}


def test_part_a_is_present() -> None:
    assert DATA / "freeform_large_a.json" in FILES, f"tests/data/freeform_large_a.json is missing; found {FILES}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_format(path: Path) -> None:
    errors = []
    items = _items(path)
    assert isinstance(items, list) and items, f"{path.name} must hold a non-empty JSON list"
    for item in items:
        qid = item.get("qid", "?")
        if set(item) != ITEM_KEYS:
            errors.append(f"{qid}: keys {sorted(item)}, expected {sorted(ITEM_KEYS)}")
            continue
        if not (isinstance(item["query"], str) and item["query"].strip()):
            errors.append(f"{qid}: empty query")
        if not (isinstance(item["answer"], str) and item["answer"].strip()):
            errors.append(f"{qid}: empty answer")
        evidence = item["evidence_list"]
        if item["question_type"] == "null_query":
            if evidence != [] or item["answer"] != NULL_ANSWER:
                errors.append(f"{qid}: a null query needs evidence_list [] and answer {NULL_ANSWER!r}")
        elif item["question_type"] == "free_form":
            if len(evidence) not in (1, 2):
                errors.append(f"{qid}: {len(evidence)} evidence items; free_form takes one, or two from two articles")
            elif len({e.get("url") for e in evidence}) != len(evidence):
                errors.append(f"{qid}: two-article evidence must come from two different articles")
        else:
            errors.append(f"{qid}: question_type {item['question_type']!r}")
        for e in evidence:
            if set(e) != EVIDENCE_KEYS:
                errors.append(f"{qid}: evidence keys {sorted(e)}, expected {sorted(EVIDENCE_KEYS)}")
            # The corpus has records without an author (null), as freeform_dev.json copies them.
            elif not all(isinstance(e[k], str) for k in EVIDENCE_KEYS - {"author"}) or not e["fact"].strip():
                errors.append(f"{qid}: every evidence field but author must be a string, and the fact non-empty")
    assert not errors, f"{path.name}: {len(errors)} problems, first ones:\n" + "\n".join(errors[:20])


def test_qids_are_unique_across_files() -> None:
    counts = Counter(item["qid"] for path in FILES for item in _items(path))
    counts.update(item["qid"] for item in _items(DEV))
    repeated = sorted(qid for qid, n in counts.items() if n > 1)
    assert not repeated, f"qids used more than once across freeform_large_*.json and freeform_dev.json: {repeated}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_questions_paraphrase_their_facts(path: Path) -> None:
    copied = [
        f"{item['qid']}: {longest_shared_run(item['query'], e['fact'])} words shared with its fact"
        for item in _items(path)
        for e in item["evidence_list"]
        if longest_shared_run(item["query"], e["fact"]) > MAX_SHARED_RUN
    ]
    assert not copied, f"{path.name}: questions copying over {MAX_SHARED_RUN} words in a row:\n" + "\n".join(copied)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_72_question_set_stays_separate(path: Path) -> None:
    dev = _items(DEV)
    dev_evidence = {(e["url"], e["fact"]) for item in dev for e in item["evidence_list"]}
    dev_queries = {item["query"].strip().lower() for item in dev}
    reused = [
        item["qid"]
        for item in _items(path)
        if item["query"].strip().lower() in dev_queries
        or any((e["url"], e["fact"]) in dev_evidence for e in item["evidence_list"])
    ]
    assert not reused, f"{path.name}: questions or article+fact pairs taken from freeform_dev.json: {reused}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_evidence_matches_the_corpus(path: Path, corpus: dict[str, dict[str, Any]]) -> None:
    errors, elsewhere = [], []
    for item in _items(path):
        for e in item["evidence_list"]:
            record = corpus.get(e["url"])
            if record is None:
                elsewhere.append(f"{item['qid']}: {e['url']}")
                continue
            if e["fact"] not in record["body"]:
                errors.append(f"{item['qid']}: fact is not a verbatim substring of {e['url']}")
            changed = [k for k in METADATA_KEYS if e[k] != record[k]]
            if changed:
                errors.append(f"{item['qid']}: {changed} differ from the corpus record of {e['url']}")
    assert not errors, f"{path.name}: {len(errors)} problems, first ones:\n" + "\n".join(errors[:20])
    if elsewhere:
        # Part B also writes questions over samples/ and ../shared/data/realweb/, which are not corpus records.
        pytest.skip(f"{len(elsewhere)} evidence items of {path.name} are not MultiHop-RAG corpus articles and are "
                    f"not checked here, e.g. {elsewhere[0]}")


def test_longest_shared_run_counts_consecutive_words() -> None:
    assert longest_shared_run("How much did Google pay Apple?", "Google pays Apple billions.") == 1
    assert longest_shared_run("Why did the Star share price fall?", "The Star share price fell.") == 4
    assert longest_shared_run("", "anything at all") == 0
