"""``newsdesk research``: formats, --out, the filters `ask` takes plus --exclude-kind, and its usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result

from bot.cli.app import cli
from tests.conftest import ROOT, SAMPLES

SCHEMA = json.loads((ROOT / "docs" / "schemas" / "research-brief.schema.json").read_text(encoding="utf-8"))
BARRIER = "What did the mayor say about the cost of the flood barrier?"


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {"NEWSDESK_DATA_DIR": str(tmp_path_factory.mktemp("research-cli") / "data")}
    assert _run(env, "ingest", str(SAMPLES)).exit_code == 0
    return env


def test_markdown_is_the_default_and_json_validates(env: dict[str, str]) -> None:
    markdown = _run(env, "research", BARRIER)
    assert markdown.exit_code == 0, markdown.output
    for heading in ("# Research brief: ", "## Answer", "## What the sources say", "## Who said what", "## Timeline",
                    "## Corroboration"):
        assert heading in markdown.stdout, heading
    printed = _run(env, "research", BARRIER, "--format", "json", "-k", "4")
    brief = json.loads(printed.stdout)
    jsonschema.validate(brief, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert brief["question"] == BARRIER and brief["passages"] <= 4


def test_html_goes_to_the_out_file(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "brief.html"
    done = _run(env, "research", BARRIER, "--format", "html", "--out", str(out))
    assert done.exit_code == 0 and done.stdout == "", done.output
    assert "wrote the brief" in done.stderr and str(out) in done.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<section id="corroboration">' in page


def test_an_unwritable_out_file_is_a_user_error(env: dict[str, str], tmp_path: Path) -> None:
    done = _run(env, "research", BARRIER, "--out", str(tmp_path / "no-such-folder" / "brief.md"))
    assert done.exit_code == 1 and "cannot write the brief to" in done.stderr, done.output


def test_filters_reach_the_brief(env: dict[str, str]) -> None:
    done = _run(env, "research", BARRIER, "--format", "json", "--exclude-kind", "public broadcaster",
                "--since", "2026-10-01", "--until", "2026-11-30", "--outlet", "The Harbour Gazette",
                "--outlet", "northwindradio.example")
    brief = json.loads(done.stdout)
    assert {row["outlet"] for row in brief["corroboration"]["outlets"]} == {"The Harbour Gazette"}
    assert brief["filters"] == ("since 2026-10-01; until 2026-11-30; outlet The Harbour Gazette, "
                                "northwindradio.example; not public broadcaster")


@pytest.mark.parametrize(("args", "message"), [
    pytest.param(["--since", "2026-11-02", "--until", "2026-11-01"], "is after --until", id="since-after-until"),
    pytest.param(["--kind", "commercial", "--exclude-kind", "commercial"], "both name commercial", id="kind-twice"),
    pytest.param(["--since", "yesterday"], "is not a date like", id="bad-date"),
    pytest.param(["--format", "pdf"], "'pdf' is not one of", id="bad-format"),
    pytest.param(["-k", "0"], "0 is not in the range", id="bad-k"),
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    done = _run({"NEWSDESK_DATA_DIR": str(tmp_path / "data")}, "research", BARRIER, *args)
    assert done.exit_code == 2 and message in done.stderr, done.output


def test_an_empty_collection_is_a_user_error(tmp_path: Path) -> None:
    done = _run({"NEWSDESK_DATA_DIR": str(tmp_path / "data")}, "research", BARRIER)
    assert done.exit_code == 1 and "newsdesk ingest" in done.stderr, done.output
