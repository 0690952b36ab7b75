"""The CLI end to end: real store in tmp_path, real embedder, exact outputs where they are a contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from bot.answering.extractive import CANNOT_ANSWER
from bot.cli.app import cli
from ingest.articles import read_article_file
from tests.conftest import SAMPLES

CITATION_KEYS = {"n", "quote", "article_id", "chunk_id", "title", "url", "published_at", "outlet", "republished_by",
                 "start", "end"}


def _run(env: dict[str, str], *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)


def test_seed_end_to_end(cli_env: dict[str, str], seed: Path) -> None:
    ingested = _run(cli_env, "ingest", str(seed), "--json")
    assert ingested.exit_code == 0, ingested.output
    assert len(json.loads(ingested.stdout)["added"]) == 1

    asked = _run(cli_env, "ask", "What did Lavrov say about Kiev?", "--json")
    assert asked.exit_code == 0, asked.output
    result = json.loads(asked.stdout)
    assert set(result) == {"question", "answer", "abstained", "citations", "corroboration", "answerer", "notice",
                           "checks"}
    assert result["answerer"] == "extractive" and result["notice"] is None and result["checks"] == []
    assert result["abstained"] is False
    citation = result["citations"][0]
    assert set(citation) == CITATION_KEYS
    assert set(citation["outlet"]) == {"name", "domain", "kind", "country", "source", "sanctions", "rating"}
    assert set(citation["republished_by"]) == {"name", "domain"}
    body = read_article_file(seed).body
    assert citation["quote"] in body and body[citation["start"] : citation["end"]] == citation["quote"]
    assert citation["quote"] in seed.read_text(encoding="utf-8")
    assert "Lavrov" in citation["quote"]
    assert citation["outlet"]["name"] == "RT" and citation["outlet"]["kind"] == "state-controlled"
    assert citation["republished_by"]["name"] == "USSANews.com"
    assert f"[{citation['n']}]" in result["answer"]
    assert result["corroboration"]["outlets"] == 1 and result["corroboration"]["by_kind"] == {"state-controlled": 1}
    assert result["corroboration"]["warning"] == "All cited passages come from state-controlled media."

    text = _run(cli_env, "ask", "What did Lavrov say about Kiev?").stdout
    assert ("[1] RT (rt.com) — state-controlled media, Russia · EU broadcast ban since 2022-03-01 (Reg. 2022/350 and "
            "later acts) · republished by USSANews.com — \"The US president") in text


def test_reingest_is_idempotent(cli_env: dict[str, str]) -> None:
    first = json.loads(_run(cli_env, "ingest", str(SAMPLES), "--json").stdout)
    second = json.loads(_run(cli_env, "ingest", str(SAMPLES), "--json").stdout)
    assert sorted(second["unchanged"]) == sorted(first["added"]) and second["added"] == [] and second["chunks"] == 0
    listed = json.loads(_run(cli_env, "sources", "--json").stdout)
    assert sorted(row["id"] for row in listed) == sorted(first["added"])
    assert sum(row["chunk_count"] for row in listed) == first["chunks"]


def test_unrelated_question_abstains(cli_env: dict[str, str]) -> None:
    _run(cli_env, "ingest", str(SAMPLES))
    result = json.loads(_run(cli_env, "ask", "What is the best recipe for banana bread?", "--json").stdout)
    assert result == {"question": "What is the best recipe for banana bread?", "answer": CANNOT_ANSWER,
                      "abstained": True, "citations": [], "corroboration": None, "answerer": "extractive",
                      "notice": None, "checks": []}


def test_sample_question_is_answered_with_its_outlet(cli_env: dict[str, str]) -> None:
    _run(cli_env, "ingest", str(SAMPLES))
    result = json.loads(_run(cli_env, "ask", "What did Hana Moretti say about the battery plant's water use?",
                             "--json").stdout)
    first = result["citations"][0]
    assert "not at the expense of a city" in first["quote"]
    assert first["outlet"]["name"] == "Meridian Wire" and first["republished_by"]["name"] == "Valley Daily Digest"


def test_ask_before_ingest_names_the_fix(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli, ["ask", "Anything?"], env=cli_env)
    assert result.exit_code == 1
    assert "no articles ingested yet: run `newsdesk ingest PATH`" in result.output


def test_a_question_with_a_lone_surrogate_is_answered(cli_env: dict[str, str]) -> None:
    # What Python makes of undecodable bytes on a command line; the embedder's tokenizer raised TypeError on it.
    _run(cli_env, "ingest", str(SAMPLES))
    result = CliRunner().invoke(cli, ["ask", "What did the mayor say about the flood barrier\udcff?", "--json"],
                                env=cli_env)
    assert result.exit_code == 0 and result.exception is None, result.output
    assert json.loads(result.stdout)["question"].endswith("barrier\ufffd?"), result.stdout


def test_an_over_long_question_is_refused_with_the_limit(cli_env: dict[str, str]) -> None:
    _run(cli_env, "ingest", str(SAMPLES))
    result = CliRunner().invoke(cli, ["ask", "Why? " * 1000], env=cli_env)
    assert result.exit_code == 1 and "questions can be up to 2,000" in result.output, result.output


def test_usage_errors_exit_2(cli_env: dict[str, str]) -> None:
    assert CliRunner().invoke(cli, ["ask"], env=cli_env).exit_code == 2
    assert CliRunner().invoke(cli, ["ask", "q", "-k", "0"], env=cli_env).exit_code == 2
    assert CliRunner().invoke(cli, ["ingest"], env=cli_env).exit_code == 2


def test_bad_file_fails_alone_and_exits_1(cli_env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text("Harbour reopens\nThe harbour reopened on Monday after the storm.\n")
    (folder / "empty.txt").write_text("")
    (folder / "bad.txt").write_bytes(b"Headline\n\xff\xfe broken")
    result = CliRunner().invoke(cli, ["ingest", str(folder), str(tmp_path / "missing.txt"), "--json"], env=cli_env)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert len(report["added"]) == 1
    assert {Path(f["source"]).name: f["error"] for f in report["failed"]} == {
        "bad.txt": "not valid UTF-8 (byte 9); save it as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)",
        "empty.txt": "empty file",
        "missing.txt": "no such file or folder",
    }


def test_chat_transcript(cli_env: dict[str, str]) -> None:
    _run(cli_env, "ingest", str(SAMPLES / "06-seagrass-restoration-study.txt"))
    result = _run(cli_env, "chat", stdin="/help\nWhat is the best banana bread recipe?\n/nope\n/quit\n")
    assert result.exit_code == 0
    assert result.stdout == (
        "newsdesk chat: ask about the ingested articles. /help for commands.\n"
        "> Type a question and press Enter. Commands:\n"
        "  /sources  list the ingested articles by outlet\n"
        "  /help     show this help\n"
        "  /quit     leave the chat (Ctrl-D works too)\n"
        f"> {CANNOT_ANSWER}\n"
        "> unknown command /nope; /help lists the commands\n"
        "> "
    )


def test_chat_sources_and_answers(cli_env: dict[str, str]) -> None:
    _run(cli_env, "ingest", str(SAMPLES / "06-seagrass-restoration-study.txt"))
    result = _run(cli_env, "chat", stdin="/sources\nHow large were the restored sea-grass meadows by September?\n")
    assert "1 article from 1 outlet:\nNorthwind Public Radio (northwindradio.example) — public broadcaster" \
        in result.stdout
    assert "13.5 hectares" in result.stdout
    assert re.search(r"^\[1(, \d)*\] Northwind Public Radio", result.stdout, re.M), result.stdout
    assert result.stdout.endswith("> \n")  # Ctrl-D ends the chat


def test_ask_filters(cli_env: dict[str, str]) -> None:
    _run(cli_env, "ingest", str(SAMPLES))
    result = json.loads(_run(cli_env, "ask", "What was decided about the flood barrier?", "--json",
                             "--outlet", "harbourgazette.example", "--until", "2026-10-23").stdout)
    assert result["citations"] and {c["outlet"]["name"] for c in result["citations"]} == {"The Harbour Gazette"}
    assert all(c["published_at"] <= "2026-10-23T23:59:59Z" for c in result["citations"])
    kinds = json.loads(_run(cli_env, "ask", "What was decided about the flood barrier?", "--json",
                            "--kind", "public broadcaster").stdout)
    assert {c["outlet"]["kind"] for c in kinds["citations"]} == {"public broadcaster"}
    bad = CliRunner().invoke(cli, ["ask", "q", "--since", "yesterday"], env=cli_env)
    assert bad.exit_code == 2 and "'yesterday' is not a date like 2023-10-05" in bad.output
