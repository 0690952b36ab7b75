"""`newsdesk research` reads a relative date in the question ("yesterday") against the day it runs: the CLI passes
today's date into the brief's retrieval (``Filters.today``), as `ask` and the Telegram `/research` do."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner

from bot.cli.app import cli

QUESTION = "Which budget did the Port Aldren council approve yesterday?"
#: Two reports of council votes: the older one matches the question's words better, so only the day the question
#: names ("yesterday", read against today) puts the other one first.
OLDER = "The Port Aldren council approved the harbour budget. The approved budget covers the harbour wall."
NEWER = "The Port Aldren council approved the library budget."


def _article(folder: Path, name: str, day: date, body: str) -> None:
    (folder / f"{name}.txt").write_text(
        f"---\ntitle: Council budget vote\nurl: https://harbourgazette.example/{name}\n"
        f"published_at: {day:%Y-%m-%d}T12:00:00Z\n---\n{body}\n", encoding="utf-8")


def test_research_reads_yesterday_against_today(cli_env: dict[str, str], tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    today = date.today()  # the local day, as the CLI takes it
    _article(articles, "harbour-budget", today - timedelta(days=40), OLDER)
    _article(articles, "library-budget", today - timedelta(days=1), NEWER)
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--quiet", str(articles)], env=cli_env).exit_code == 0
    # One passage for the brief's sources: the best-ranked one, which the date decides.
    done = runner.invoke(cli, ["research", QUESTION, "--format", "json", "-k", "1"], env=cli_env,
                         catch_exceptions=False)
    urls = {excerpt["url"] for section in json.loads(done.stdout)["sources"] for excerpt in section["excerpts"]}
    assert urls == {"https://harbourgazette.example/library-budget"}, "the brief did not read 'yesterday'"
