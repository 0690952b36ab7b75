"""`newsdesk quotes` (#13): one article's quotes with speaker and reporting chain, from a file, a URL or an id."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from bot.cli.app import cli
from ingest.articles import read_article_file
from tests.conftest import ROOT
from tests.local_http import LocalHTTPServer

SCHEMA = json.loads((ROOT / "docs" / "schemas" / "quote.schema.json").read_text(encoding="utf-8"))
#: A news body in the seed's shape, written for this test, with the syndication footer the seed carries (so
#: provenance finds RT as the original and USSANews.com as the republisher, as it does for the seed).
ARTICLE = (
    "Talks on the grain corridor have stalled, The Atlantic has reported.\n"
    "”He is tired of waiting. Nobody can blame him,” a senior official said.\n"
    "The corridor will reopen only “on our terms,” Russian Foreign Minister Sergey Lavrov said on Monday.\n"
    "This content is courtesy of, and owned and copyrighted by, https://www.rt.com and its author. This content is "
    "made available by use of the public RSS feed offered by the host site and is used for educational purposes "
    "only. If you are the author or represent the host site and would like this content removed now and in the "
    "future, please contact USSANews.com using the email address in the Contact page found in the website menu.\n"
)
LAVROV = ('Sergey Lavrov (Russian Foreign Minister) said: "The corridor will reopen only “on our terms,”" — '
          "reported by RT, republished by USSANews.com")
OFFICIAL = ('a senior official, unnamed, quoted by The Atlantic: "He is tired of waiting. Nobody can blame him" — '
            "as retold by RT, republished by USSANews.com")


def _run(env: dict[str, str], *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def article_file(tmp_path: Path) -> Path:
    path = tmp_path / "grain.txt"
    path.write_text("Grain talks stall\n" + ARTICLE, encoding="utf-8")
    return path


def _valid(output: str, body: str) -> list[dict[str, object]]:
    result = json.loads(output)
    assert set(result) == {"article_id", "title", "quotes"}, result
    for quote in result["quotes"]:
        jsonschema.validate(quote, SCHEMA)
        assert body[quote["start"]:quote["end"]] == quote["text"], quote
        assert quote["article_id"] == result["article_id"]
    return result["quotes"]


def test_quotes_of_a_file_as_text(cli_env: dict[str, str], article_file: Path) -> None:
    result = _run(cli_env, "quotes", str(article_file))
    assert result.exit_code == 0, result.output
    blocks = result.stdout.split("\n\n")
    assert blocks[0].startswith("Grain talks stall [a-") and blocks[0].endswith(": 3 quotes"), blocks[0]
    assert OFFICIAL in blocks, blocks
    assert LAVROV + "\n" in blocks, blocks


def test_quotes_of_a_file_as_json(cli_env: dict[str, str], article_file: Path) -> None:
    result = _run(cli_env, "quotes", str(article_file), "--json")
    assert result.exit_code == 0, result.output
    quotes = _valid(result.stdout, read_article_file(article_file).body)
    official = next(q for q in quotes if "tired of waiting" in q["text"])
    assert (official["speaker"], official["anonymous"], official["via"], official["reported_by"],
            official["republished_by"]) == ("a senior official", True, ["The Atlantic"], "RT", ["USSANews.com"])


def test_seed_quotes(cli_env: dict[str, str], seed: Path) -> None:
    result = _run(cli_env, "quotes", str(seed), "--json")
    assert result.exit_code == 0, result.output
    quotes = _valid(result.stdout, read_article_file(seed).body)
    lavrov = next(q for q in quotes if "Russophobic regime" in q["text"])
    assert (lavrov["speaker"], lavrov["speaker_role"], lavrov["reported_by"], lavrov["republished_by"]) == (
        "Sergey Lavrov", "Russian Foreign Minister", "RT", ["USSANews.com"])
    official = next(q for q in quotes if "He just wants this over" in q["text"])
    assert (official["speaker"], official["anonymous"], official["via"], official["reported_by"],
            official["republished_by"]) == ("a senior official", True, ["The Atlantic"], "RT", ["USSANews.com"])
    text = _run(cli_env, "quotes", str(seed)).stdout
    assert ('a senior official, unnamed, quoted by The Atlantic: "He just wants this over. It almost doesn’t matter '
            'how" — as retold by RT, republished by USSANews.com') in text, text


def test_quotes_of_a_url(cli_env: dict[str, str], http_server: LocalHTTPServer) -> None:
    page = ("<html><head><title>Grain talks stall</title></head><body><article><h1>Grain talks stall</h1>"
            + "".join(f"<p>{line}</p>" for line in ARTICLE.splitlines()[:3]) + "</article></body></html>")
    http_server.add("/grain", page.encode(), content_type="text/html; charset=utf-8")
    env = {**cli_env, "NEWSDESK_FETCH_ALLOW_PRIVATE": "true"}
    result = _run(env, "quotes", http_server.url("/grain"), "--json")
    assert result.exit_code == 0, result.output
    quotes = json.loads(result.stdout)["quotes"]
    for quote in quotes:
        jsonschema.validate(quote, SCHEMA)
    assert any(q["speaker"] == "Sergey Lavrov" for q in quotes), quotes


def test_quotes_of_an_ingested_article(cli_env: dict[str, str], article_file: Path) -> None:
    ingested = _run(cli_env, "ingest", str(article_file), "--json")
    assert ingested.exit_code == 0, ingested.output
    [article_id] = json.loads(ingested.stdout)["added"]
    from_file = json.loads(_run(cli_env, "quotes", str(article_file), "--json").stdout)
    result = _run(cli_env, "quotes", article_id, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == from_file, "the stored article gives the quotes its file gives"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("no-such-article",), "Error: 'no-such-article' is not a file, a URL or the id of an ingested "
                     "article (`newsdesk sources` lists the ids)\n", id="unknown-id"),
        pytest.param((".",), "not a regular file", id="a-folder"),
    ],
)
def test_errors_are_one_line_and_exit_1(cli_env: dict[str, str], args: tuple[str, ...], message: str) -> None:
    result = _run(cli_env, "quotes", *args)
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and message in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_terminal_escapes_in_an_article_are_not_printed(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "hostile.txt"
    # C1 controls (CSI is \x9b) pass ingest's text cleaning, which removes only C0 ones.
    path.write_text('Title \x9b2J\n"Clear \x9b2J the screen now please," Lavrov said.\n', encoding="utf-8")
    result = _run(cli_env, "quotes", str(path))
    assert result.exit_code == 0, result.output
    assert "\x9b" not in result.stdout, repr(result.stdout)
    assert "Lavrov said:" in result.stdout, result.stdout
