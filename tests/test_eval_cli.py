"""``newsdesk eval multihop`` end to end on a tiny invented corpus (real store, real embedder), plus the data files.

tests/data/eval_corpus.json holds 4 short invented articles in MultiHop-RAG format, each under 100 cl100k
tokens, so each is one chunk; tests/data/eval_queries.json holds one query of each upstream type, the last
a null query about outlets that are not in the corpus.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli.app import cli
from bot.evaluation.multihop import EvalDataError, load_corpus, load_queries
from bot.retrieval.ranking import FEATURES
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data"
CORPUS, QUERIES = DATA / "eval_corpus.json", DATA / "eval_queries.json"
MULTIHOP = SHARED / "data" / "multihop-rag"
KEYS = {"hits@4", "hits@10", "mrr@10", "map@10", "complete@10", "evidence_recall@10", "fact_coverage",
        "null_abstention", "false_abstention", "outlet_recall"}
TYPES = {"comparison_query", "inference_query", "temporal_query", "null_query"}


def _eval(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, ["eval", "multihop", *args], env=env, catch_exceptions=False)


def test_eval_json_on_the_tiny_corpus(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = _eval(cli_env, "--corpus", str(CORPUS), "--queries", str(QUERIES), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert KEYS | {"by_type", "n_queries"} <= set(report), sorted(report)
    assert report["n_queries"] == 4
    assert report["corpus_sha256"] == hashlib.sha256(CORPUS.read_bytes()).hexdigest()
    assert report["corpus_sha256"] in result.stderr, "the corpus sha256 is printed"
    assert set(report["by_type"]) == TYPES
    for name, row in report["by_type"].items():
        assert set(row) >= KEYS | {"n"} and row["n"] == 1, (name, row)
    # Every article is one chunk that holds its facts whole, so the chunking ceiling is 1.
    assert report["fact_coverage"] == 1.0
    # 4 chunks in all and k = 10: every chunk is retrieved, so every fact and article is in the top 10.
    for key in ("hits@10", "evidence_recall@10", "complete@10", "article_recall@10"):
        assert report[key] == 1.0, (key, report[key])
    # Each query has 2 facts in 2 different chunks, so upstream MAP is at most (1/1 + 1/2) / 2 = 0.75.
    assert 0.0 < report["map@10"] <= 0.75 and 0.0 < report["mrr@10"] <= 1.0
    for key in ("outlet_recall", "null_abstention", "false_abstention"):
        assert 0.0 <= report[key] <= 1.0, (key, report[key])
    null = report["by_type"]["null_query"]
    assert null["hits@4"] is None and null["false_abstention"] is None and null["null_abstention"] in (0.0, 1.0)
    assert report["by_type"]["comparison_query"]["null_abstention"] is None
    assert report["settings"]["header_included"] is True and report["settings"]["k"] == 10
    assert report["settings"]["ranker"].startswith(f"linear fusion of {len(FEATURES)} features, fitted on dev.json")

    # The corpus went into its own collection: the user's collection is still empty.
    listed = CliRunner().invoke(cli, ["sources", "--json"], env=cli_env, catch_exceptions=False)
    assert json.loads(listed.stdout) == []
    assert (Path(cli_env["NEWSDESK_DATA_DIR"]) / "eval-multihop" / "chroma").is_dir()

    # A second run reuses the collection (nothing embedded) and gives the same numbers.
    again = _eval(cli_env, "--corpus", str(CORPUS), "--queries", str(QUERIES), "--json")
    assert "collection reused unchanged" in again.stderr and "unchanged 4" in again.stderr, again.stderr
    rerun = json.loads(again.stdout)
    assert {k: rerun[k] for k in KEYS} == {k: report[k] for k in KEYS}


def test_markdown_report_and_limit(cli_env: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "docs" / "evaluation.md"
    result = _eval(cli_env, "--corpus", str(CORPUS), "--queries", str(QUERIES), "--limit", "2",
                   "--output", str(output))
    assert result.exit_code == 0, result.output
    assert "| **overall** | 2 |" in result.stdout, result.stdout
    text = output.read_text(encoding="utf-8")
    assert f"--limit 2 --output {output}" in text, "the report names its command"
    assert "**header included**" in text and "± " in text
    assert "| comparison_query | 1 |" in text and "null_query" not in text.split("## Results")[1].split("##")[0]
    assert "0.7467" in text, "the published Hits@10 is shown for comparison"


def test_free_form_queries(cli_env: dict[str, str], tmp_path: Path) -> None:
    queries = tmp_path / "freeform.json"
    queries.write_text(json.dumps([
        {"query": "How much will the Harbourtown flood barrier cost?", "question_type": "free_form",
         "evidence_list": [{"fact": "The barrier will cost 14 million pounds", "source": "Harbour Gazette"}]},
        {"query": "What did the Financial Times say about Harbourtown's bond sale?", "question_type": "free_form",
         "null_query": True},
    ]))
    result = _eval(cli_env, "--corpus", str(CORPUS), "--queries", str(queries), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_queries"] == 2 and set(report["by_type"]) == {"free_form"}
    assert report["by_type"]["free_form"]["n"] == 2
    assert report["hits@10"] == 1.0 and report["fact_coverage"] == 1.0
    assert report["article_recall@10"] is None, "no gold url given: nothing to score"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("[{\"query\": \"q\"", "is not valid JSON", id="bad-json"),
        pytest.param("{\"x\": 1}", "expected a non-empty JSON list", id="not-a-list"),
        pytest.param("[{\"question_type\": \"free_form\"}]", "query #0: no 'query' string", id="no-query"),
        pytest.param("[{\"query\": \"q\", \"evidence_list\": [{\"fact\": \" \\n\", \"url\": \"u\"}]}]",
                     "the fact is blank", id="blank-fact"),
        pytest.param("[{\"query\": \"q\", \"null_query\": \"yes\"}]", "'null_query' must be true or false",
                     id="bad-null-flag"),
    ],
)
def test_bad_queries_file_is_a_user_error(cli_env: dict[str, str], tmp_path: Path, content: str,
                                          message: str) -> None:
    queries = tmp_path / "queries.json"
    queries.write_text(content)
    result = _eval(cli_env, "--corpus", str(CORPUS), "--queries", str(queries))
    assert result.exit_code == 1 and message in result.stderr, result.output
    assert str(queries) in result.stderr, "the message names the file"


def test_bad_corpus_and_usage_errors(cli_env: dict[str, str], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.json"
    corpus.write_text(json.dumps([{"title": "t", "body": "b"}]))
    result = _eval(cli_env, "--corpus", str(corpus), "--queries", str(QUERIES))
    assert result.exit_code == 1 and "not a MultiHop-RAG article" in result.stderr, result.output
    assert _eval(cli_env, "--queries", str(QUERIES)).exit_code == 2  # --corpus is required
    assert _eval(cli_env, "--corpus", str(tmp_path / "absent.json"), "--queries", str(QUERIES)).exit_code == 2
    assert _eval(cli_env, "--corpus", str(CORPUS), "--queries", str(QUERIES), "--limit", "0").exit_code == 2


def test_loaders_read_the_tiny_files() -> None:
    queries = load_queries(QUERIES)
    assert [q.is_null for q in queries] == [False, False, False, True] and len(queries[0].facts) == 2
    corpus = load_corpus(CORPUS)
    assert len(corpus.articles) == 4 and all(a.article_id.startswith("a-") for a in corpus.articles)
    for query in queries:  # every gold fact is verbatim in the stored body of its gold article
        for item in query.evidence:
            assert item.fact in corpus.by_url[item.url].body
    with pytest.raises(EvalDataError, match="not valid JSON"):
        load_queries(Path(__file__))


def _shared_file(name: str) -> Path:
    path = MULTIHOP / name
    if not path.is_file():
        pytest.skip(f"the MultiHop-RAG data is not at {path} (../shared/data is absent)")
    return path


def test_dev_split_loads() -> None:
    queries = load_queries(_shared_file("dev.json"))
    assert len(queries) == 766 and sum(q.is_null for q in queries) == 95
    assert sum(1 for q in queries if q.facts) == 671 and all(not q.evidence for q in queries if q.is_null)


@pytest.mark.slow
def test_real_dev_queries_on_their_gold_articles(cli_env: dict[str, str], tmp_path: Path) -> None:
    """The first 6 dev queries over only their gold articles (a subset of the real corpus, ~20 s of embedding;
    the full 609-article run is `make eval`, never a test)."""
    records = json.loads(_shared_file("corpus.json").read_text(encoding="utf-8"))
    dev = json.loads(_shared_file("dev.json").read_text(encoding="utf-8"))[:6]
    gold_urls = {item["url"] for query in dev for item in query["evidence_list"]}
    corpus, queries = tmp_path / "corpus.json", tmp_path / "dev6.json"
    corpus.write_text(json.dumps([r for r in records if r["url"] in gold_urls]), encoding="utf-8")
    queries.write_text(json.dumps(dev), encoding="utf-8")
    result = _eval(cli_env, "--corpus", str(corpus), "--queries", str(queries), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_queries"] == 6 and report["settings"]["articles"] == len(gold_urls)
    assert report["fact_coverage"] == 1.0, "200/30 chunks keep every dev fact whole (retrieval-calibration.md)"
    assert report["hits@10"] >= report["hits@4"] and set(report["by_type"]) <= TYPES
