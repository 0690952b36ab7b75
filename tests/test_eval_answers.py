"""``newsdesk eval multihop --answers`` (#12 item 9): the upstream answer-scoring rule, and the command end to end
against the OpenAI stand-in on 127.0.0.1 through the real ``ChatOpenAI`` and the checked answer path.

The stand-in answers by question (the null query may or may not reach the model, depending on retrieval), so
the scripted replies and the reported numbers are exact whatever order the model is called in.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.answering.context import pack
from bot.answering.prompts import load
from bot.cli.app import cli
from bot.errors import MissingPromptVariable
from bot.evaluation.answers import upstream_correct, upstream_prediction, without_marks
from ingest.outlets import OutletRegistry
from ingest.types import OutletRef, Passage
from tests.fake_llm import FakeLLMServer, Step, serve_fake_llm

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "eval_corpus.json"
QUERY_SOURCE = DATA / "eval_queries.json"

# question_type → what the stand-in replies, and whether upstream's rule counts it correct.
REPLIES = {
    "comparison_query": ("Yes [1]", True),  # gold "Yes"
    "inference_query": ('The answer to the question is "Ines Calloway" [1].', True),  # gold "Ines Calloway"
    # gold "Yes"; the 2nd sentence cites nothing and names someone in no passage: marked unsupported
    "temporal_query": ("No [1]. Zorblax Quimby said so.", False),
    "null_query": ("Insufficient Information", True),  # gold "Insufficient information."
    # a question the corpus answers, declined by the model without a citation: the checks reject the reply
    # (the reader gets quotes), but the eval scores what the model said, as upstream would
    "uncited_query": ("Insufficient Information", True),
}
UNCITED = {"qid": 4, "question_type": "uncited_query", "answer": "Insufficient information.",
           "query": "How much will the Harbourtown flood barrier cost, and who pays for it?",
           "evidence_list": [{"source": "Harbour Gazette"}]}


@pytest.mark.parametrize(("output", "gold", "correct"), [
    ("Yes", "Yes", True),
    ("yes.", "Yes", False),  # punctuation is not stripped
    ("Yes and no", "No", True),  # lenient: any shared word
    ('The answer to the question is "Sam Bankman-Fried", as passage 2 says.', "Sam Bankman-Fried", True),
    ('The answer to the question is "Bankman" although yes', "Yes", False),  # only the quoted part is scored
    ("", "Yes", False),
    ("Insufficient Information", "Insufficient information.", True),
])
def test_upstream_rule(output: str, gold: str, correct: bool) -> None:
    assert upstream_correct(output, gold) is correct


def test_prediction_extraction_and_marks() -> None:
    assert upstream_prediction('The answer to the question is "Paris".') == "Paris"
    assert upstream_prediction("The answer is Paris") == "The answer is Paris"  # no quoted form: kept whole
    assert without_marks("Yes [1][2] [unverified: Zorblax].") == "Yes."


def test_answer_style_prompt_loads_checked_and_packs() -> None:
    filled = load("short_answer", passages="PASSAGES", question="QUESTION?")
    assert "PASSAGES" in filled and "QUESTION?" in filled and "Insufficient Information" in filled
    with pytest.raises(MissingPromptVariable, match=r"short_answer\.md"):
        load("short_answer", question="q")
    ref = OutletRef("rt.com", "rt.com")
    passage = Passage(chunk_id="c", article_id="a", text="The council pays 4 million.", start=0, end=27,
                      title="Barrier", url=None, published_at="2026-10-22", publisher=ref, original=ref, score=0.9)
    context = pack("Who pays?", [passage], OutletRegistry.bundled(), budget=2000, prompt_name="short_answer")
    assert "single word or entity" in context.prompt and "The council pays 4 million." in context.prompt
    assert "single word or entity" not in pack("Who pays?", [passage], OutletRegistry.bundled(), budget=2000).prompt


@pytest.fixture()
def queries(tmp_path: Path) -> Path:
    """The four tiny-corpus queries (one of each upstream type) with their gold answers, and ``UNCITED``."""
    records = json.loads(QUERY_SOURCE.read_text(encoding="utf-8"))
    assert [r["answer"] for r in records] == ["Yes", "Ines Calloway", "Yes", "Insufficient information."]
    path = tmp_path / "queries.json"
    path.write_text(json.dumps([*records, UNCITED]), encoding="utf-8")
    return path


@pytest.fixture()
def stand_in() -> Iterator[FakeLLMServer]:
    records = [*json.loads(QUERY_SOURCE.read_text(encoding="utf-8")), UNCITED]
    by_question = {r["query"]: REPLIES[r["question_type"]][0] for r in records}
    with serve_fake_llm() as fake:
        def by_question_step() -> Step:  # the request is recorded before its step is chosen
            prompt = fake.requests[-1].prompt
            return Step(next((text for question, text in by_question.items() if question in prompt), "??"))

        fake.next_step = by_question_step  # type: ignore[method-assign]
        yield fake


def _eval(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["eval", "multihop", *args], env=env, catch_exceptions=False)


def test_answers_scored_against_the_stand_in(cli_env: dict[str, str], queries: Path, stand_in: FakeLLMServer,
                                             tmp_path: Path) -> None:
    env = {**cli_env, "NEWSDESK_LLM_PROVIDER": "openai", "NEWSDESK_LLM_MODEL": "stand-in",
           "NEWSDESK_LLM_BASE_URL": f"{stand_in.base}/v1", "NEWSDESK_LLM_MAX_RETRIES": "0"}
    output = tmp_path / "report.md"
    result = _eval(env, "--corpus", str(CORPUS), "--queries", str(queries), "--answers", "--json",
                   "--output", str(output))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    answers = report["answers"]
    # 4 of 5 right: comparison, inference (the quoted form), null and uncited; temporal answered "No" to a "Yes".
    assert answers["answer_accuracy"] == 0.8
    assert {t: row["answer_accuracy"] for t, row in answers["by_type"].items()} == {
        "comparison_query": 1.0, "inference_query": 1.0, "temporal_query": 0.0, "uncited_query": 1.0,
        "null_query": 1.0}
    assert all(row["n"] == 1 for row in answers["by_type"].values())
    # Checked sentences of the three non-null answers: 4, of which 3 cite [1]; the null query's reply cites
    # nothing, so the checks rejected it (or retrieval abstained first): it adds no checked sentence.
    assert answers["cited_sentences"] == 0.75
    assert answers["by_type"]["temporal_query"]["cited_sentences"] == 0.5
    assert answers["by_type"]["null_query"]["cited_sentences"] is None
    assert answers["by_type"]["uncited_query"]["cited_sentences"] is None
    # Only "Zorblax Quimby said so." is marked: 1 of the 4 checked sentences.
    assert answers["unsupported_sentences"] == 0.25
    assert answers["by_type"]["temporal_query"]["unsupported_sentences"] == 0.5
    assert report["settings"]["answers"] == {"llm_provider": "openai", "llm_model": "stand-in",
                                             "prompt": "prompts/short_answer.md"}
    # The model was asked in the paper's answer style, through the answer-style prompt file.
    assert stand_in.requests and all("single word or entity" in r.prompt for r in stand_in.requests)
    assert all(r.body["model"] == "stand-in" for r in stand_in.requests)
    # The null query abstained in retrieval (no call); the uncited reply went through the model and its checks.
    assert len(stand_in.requests) == 4 and report["null_abstention"] == 1.0
    text = output.read_text(encoding="utf-8")
    assert "### Answers by the model `stand-in` (`--answers`)" in text
    assert "| **overall** | 5 | 0.800 ± 0.351 (n = 5) | 0.750 ± 0.424 (n = 4) | 0.250 ± 0.424 (n = 4) |" in text
    assert "| temporal_query | 1 | 0.000 ± 0.000 (n = 1) | 0.500 ± 0.693 (n = 2) | 0.500 ± 0.693 (n = 2) |" in text
    assert "the model `stand-in` (`--answers`, prompts/short_answer.md) answers" in text
    assert "--answers" in text.split("- Command:")[1].splitlines()[0]
    # Without --json the table is printed too, after the retrieval tables.
    tables = _eval(env, "--corpus", str(CORPUS), "--queries", str(queries), "--answers", "--quiet")
    assert tables.exit_code == 0, tables.output
    assert "| **overall** | 5 | 0.800 ± 0.351 (n = 5) |" in tables.stdout.split("### Answers by the model")[1]


def test_answers_without_a_model_exit_1(cli_env: dict[str, str], queries: Path) -> None:
    result = _eval(cli_env, "--corpus", str(CORPUS), "--queries", str(queries), "--answers")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "eval --answers needs a model: set NEWSDESK_LLM_PROVIDER and NEWSDESK_LLM_MODEL "
        "(see the README, \"Answers written by a model\")."]
    assert result.stdout == ""
    assert not (Path(cli_env["NEWSDESK_DATA_DIR"]) / "eval-multihop").exists(), "nothing ingested"
