"""Progress off a terminal (#16): ingest and eval write plain progress lines on stderr; --quiet silences them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli.app import cli
from bot.cli.progress import ProgressLines
from tests.conftest import SAMPLES

DATA = Path(__file__).parent / "data"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_lines_come_every_n_items_and_every_few_seconds_with_rate_and_time_left() -> None:
    clock, lines = FakeClock(), []
    progress = ProgressLines("ingest", "article", lines.append, total=10, every=4, seconds=30, clock=clock)
    for _ in range(9):
        clock.now += 1.0
        progress.advance()
    assert lines == [
        "ingest: 1/10 articles, 1.0/s, about 9 s left",
        "ingest: 5/10 articles, 1.0/s, about 5 s left",
        "ingest: 9/10 articles, 1.0/s, about 1 s left",
    ], "a line at the first item, then every 4 items"
    clock.now += 45.0  # a slow item: the line comes because of the time, not the count
    progress.advance()
    assert lines[-1] == "ingest: 10/10 articles, 0.2/s"
    progress.finish()
    assert lines[-1] == "ingest: done, 10 articles in 54 s"


def test_unknown_total_and_totals_reported_by_the_caller() -> None:
    clock, lines = FakeClock(), []
    progress = ProgressLines("eval: scoring", "query", lines.append, every=100, seconds=5, clock=clock)
    clock.now += 2.0
    progress.advance()
    assert lines == ["eval: scoring: 1 query, 0.5/s"]
    clock.now += 598.0
    progress.advance(300, 900)
    assert lines[-1] == "eval: scoring: 300/900 queries, 0.5/s, about 20 min left"


def test_ingest_off_a_terminal_reports_progress_and_quiet_silences_it(cli_env: dict[str, str]) -> None:
    loud = CliRunner().invoke(cli, ["ingest", str(SAMPLES)], env=cli_env, catch_exceptions=False)
    assert loud.exit_code == 0, loud.output
    assert "ingest: 1 article, " in loud.stderr, f"a line at the first article: {loud.stderr!r}"
    assert "ingest: done, 6 articles in " in loud.stderr, f"a closing line: {loud.stderr!r}"
    assert "ingest:" not in loud.stdout, "progress goes to stderr, data to stdout"
    quiet = CliRunner().invoke(cli, ["ingest", "--quiet", str(SAMPLES)], env=cli_env, catch_exceptions=False)
    assert quiet.exit_code == 0, quiet.output
    assert "ingest:" not in quiet.stderr, f"--quiet prints no progress: {quiet.stderr!r}"
    assert "unchanged 6" in quiet.stdout, "the summary still prints"


def test_eval_off_a_terminal_reports_progress_and_quiet_silences_it(cli_env: dict[str, str]) -> None:
    args = ["eval", "multihop", "--corpus", str(DATA / "eval_corpus.json"),
            "--queries", str(DATA / "eval_queries.json")]
    loud = CliRunner().invoke(cli, args, env=cli_env, catch_exceptions=False)
    assert loud.exit_code == 0, loud.output
    assert "eval: corpus: 1/4 articles, " in loud.stderr, f"the corpus embedding reports progress: {loud.stderr!r}"
    assert "eval: scoring: 1/" in loud.stderr and "eval: scoring: done, " in loud.stderr, loud.stderr
    quiet = CliRunner().invoke(cli, [*args, "--quiet"], env=cli_env, catch_exceptions=False)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr == "", f"--quiet prints nothing on stderr: {quiet.stderr!r}"
