"""``newsdesk eval multihop``: score retrieval, citations and abstention on MultiHop-RAG-format files."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import desk_of, print_json

if TYPE_CHECKING:
    from bot.evaluation.multihop import EvalRun

_FILE = click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)


@click.group("eval")
def eval_group() -> None:
    """Evaluate the bot on benchmark files."""


def _command(corpus: Path, queries: Path, limit: int | None, output: Path | None, answers: bool = False) -> str:
    parts = ["newsdesk", "eval", "multihop", "--corpus", str(corpus), "--queries", str(queries)]
    parts += ["--answers"] if answers else []
    parts += ["--limit", str(limit)] if limit else []
    parts += ["--output", str(output)] if output else []
    return shlex.join(parts)


@eval_group.command()
@click.option("--corpus", type=_FILE, required=True, help="MultiHop-RAG corpus.json (a JSON list of articles).")
@click.option("--queries", type=_FILE, required=True,
              help="Queries: MultiHop-RAG dev.json, or ours in that format (free-form types, null_query).")
@click.option("--json", "json_", is_flag=True, help="Print the metrics as JSON.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Score only the first N queries.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Also write the Markdown report here, e.g. docs/evaluation.md.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.option("--answers", is_flag=True,
              help="Also have the configured model (NEWSDESK_LLM_PROVIDER) answer every query in one word or "
                   "entity, and score the answers as the paper does.")
@click.pass_context
def multihop(ctx: click.Context, corpus: Path, queries: Path, json_: bool, limit: int | None,
             output: Path | None, quiet: bool, answers: bool) -> None:
    """Ingest the corpus into its own collection (<data dir>/eval-multihop, or eval_multihop_<hash> on the
    server NEWSDESK_CHROMA_URL names; reused when unchanged), retrieve the top 10 and ask for every query, and
    report Hits@4/@10, MRR@10, upstream MAP@10, completeness, recalls, fact coverage, cited outlets and
    abstention, overall and per question type.

    \b
    Examples:
      newsdesk eval multihop --corpus ../shared/data/multihop-rag/corpus.json \\
        --queries ../shared/data/multihop-rag/dev.json --output docs/evaluation.md
      newsdesk eval multihop --corpus corpus.json --queries dev.json --limit 20 --json
      newsdesk eval multihop --corpus corpus.json --queries dev.json --answers --limit 50
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.cli.progress import ProgressLines
    from bot.evaluation.multihop import run_eval

    desk = desk_of(ctx)
    if answers and (desk.settings.llm_provider == "none" or not desk.settings.llm_model):
        click.echo("eval --answers needs a model: set NEWSDESK_LLM_PROVIDER and NEWSDESK_LLM_MODEL "
                   "(see the README, \"Answers written by a model\").", err=True)
        ctx.exit(1)
    console = Console(stderr=True)
    command = _command(corpus, queries, limit, output, answers)
    if quiet:
        run = run_eval(desk, corpus, queries, command=command, limit=limit, answers=answers)
    elif console.is_terminal and not json_:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("loading and ingesting the corpus", total=None)

            def on_query(done: int, total: int) -> None:
                progress.update(task, description="scoring queries", completed=done, total=total)

            def on_article(done: int, total: int) -> None:
                progress.update(task, description="embedding the corpus", completed=done, total=total)

            run = run_eval(desk, corpus, queries, command=command, limit=limit, answers=answers, on_query=on_query,
                           on_article=on_article,
                           on_stage=lambda message: progress.console.print(message, highlight=False))
    else:  # a log or a pipe: plain lines with the rate and the time left (a first run embeds for minutes)
        def say(line: str) -> None:
            click.echo(line, err=True)

        articles = ProgressLines("eval: corpus", "article", say)
        scored = ProgressLines("eval: scoring", "query", say)
        run = run_eval(desk, corpus, queries, command=command, limit=limit, answers=answers, on_stage=say,
                       on_article=lambda done, total: articles.advance(done, total),
                       on_query=lambda done, total: scored.advance(done, total))
        scored.finish()
    _finish(run, json_, output)


def _finish(run: EvalRun, json_: bool, output: Path | None) -> None:
    from bot.evaluation.report import render_answers, render_markdown, render_tables, to_json

    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(render_markdown(run), encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    if json_:
        print_json(to_json(run))
    else:
        click.echo(render_tables(run))
        if run.answers is not None:
            click.echo("\n" + render_answers(run))
