"""Messages that name the fix (#16 item 4): other chunk settings, `ask --json` errors, filters that exclude
everything, plurals, and the README's registry sizes."""

from __future__ import annotations

import json
import re

import yaml
from click.testing import CliRunner, Result

from bot.cli.app import cli
from tests.conftest import ROOT, SAMPLES

QUESTION = "What did the mayor say about the cost of the flood barrier?"


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_an_empty_collection_names_the_chunk_settings_the_articles_were_stored_with(cli_env: dict[str, str]) -> None:
    assert _run(cli_env, "ingest", "--quiet", str(SAMPLES)).exit_code == 0
    other = {**cli_env, "NEWSDESK_CHUNK_TOKENS": "120"}
    asked = _run(other, "ask", QUESTION)
    assert asked.exit_code == 1, asked.output
    expected = ("the collection for 120-token chunks (overlap 30) is empty; 6 articles are stored for 200-token "
                "chunks (overlap 30): set NEWSDESK_CHUNK_TOKENS=200, or re-ingest with `newsdesk ingest PATH`")
    assert expected in asked.stderr, asked.stderr
    assert expected in _run(other, "sources").stdout, "sources says the same"


def test_ask_json_before_any_ingest_prints_a_json_error(cli_env: dict[str, str]) -> None:
    result = _run(cli_env, "ask", QUESTION, "--json")
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)
    assert error == {"error": "no articles ingested yet: run `newsdesk ingest PATH` first", "retryable": False}
    assert "no articles ingested yet" in result.stderr, "the message still goes to stderr"


def test_filters_that_exclude_everything_say_so(cli_env: dict[str, str]) -> None:
    assert _run(cli_env, "ingest", "--quiet", str(SAMPLES)).exit_code == 0
    nowhere = _run(cli_env, "ask", QUESTION, "--outlet", "nosuchoutlet.example")
    assert nowhere.exit_code == 1, nowhere.output
    assert "no articles from nosuchoutlet.example in the collection" in nowhere.stderr, nowhere.stderr
    as_json = _run(cli_env, "ask", QUESTION, "--outlet", "nosuchoutlet.example", "--json")
    assert json.loads(as_json.stdout)["error"].startswith("no articles from nosuchoutlet.example")
    backwards = _run(cli_env, "ask", QUESTION, "--since", "2026-12-01", "--until", "2026-01-01")
    assert backwards.exit_code == 2, backwards.output
    assert "--since 2026-12-01 is after --until 2026-01-01" in backwards.stderr, backwards.stderr
    fine = _run(cli_env, "ask", QUESTION, "--outlet", "northwindradio.example")
    assert fine.exit_code == 0 and "no articles from" not in fine.output, "an outlet that is there still answers"


def test_counts_are_pluralised(cli_env: dict[str, str]) -> None:
    assert _run(cli_env, "ingest", "--quiet", str(SAMPLES / "06-seagrass-restoration-study.txt")).exit_code == 0
    assert _run(cli_env, "sources").stdout.startswith("1 article from 1 outlet:\n")


def test_readme_registry_sizes_match_the_shipped_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    curated = len(yaml.safe_load((ROOT / "ingest" / "data" / "outlets.yaml").read_text(encoding="utf-8")))
    assert f"`ingest/data/outlets.yaml`, written for this project: {curated:,} outlets" in readme
    registry = json.loads((ROOT / "ingest" / "data" / "registry.json").read_text(encoding="utf-8"))
    table = [row for row in readme.splitlines() if row.startswith("| ") and "|" in row[2:]]
    for dataset in registry["datasets"]:
        size = len(dataset["outlets"])
        assert any(re.search(rf"(?<![\d,]){size:,} (outlets|domains|suspended|state)", row) for row in table), \
            f"README's dataset table does not say {size:,} for {dataset['format']}"
