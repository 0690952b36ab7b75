"""``newsdesk ingest`` and ``newsdesk remove``."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import INGEST_FORMATS, desk_of, print_json

if TYPE_CHECKING:
    from ingest.types import IngestReport


def _summary(report: IngestReport) -> str:
    return (
        f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
        f"linked {len(report.linked)}, failed {len(report.failed)}; {report.chunks} chunks written"
    )


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(INGEST_FORMATS), default="auto", show_default=True,
              help="Force a format instead of guessing it from the file suffix or the content type.")
@click.option("--json", "json_", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr (failures and the summary still print).")
@click.pass_context
def ingest(ctx: click.Context, sources: tuple[str, ...], fmt: str, json_: bool, quiet: bool) -> None:
    """Ingest article files, folders and URLs.

    Files: .txt .md (text), .html .htm, .xml .rss .atom (feeds), .json .jsonl. Folders are read
    recursively. URLs (http/https) may be pages or feeds.

    \b
    Examples:
      newsdesk ingest samples/
      newsdesk ingest feed.xml https://example.org/feed.rss https://example.org/2025/05/story.html
      newsdesk ingest corpus.json --format multihop
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.cli.progress import ProgressLines
    from ingest.loaders import expand_sources

    desk = desk_of(ctx)
    console = Console(stderr=True)
    if quiet:
        report = desk.ingest(sources, fmt=fmt)
    elif console.is_terminal and not json_:
        total = sum(1 for _ in expand_sources(sources))
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("ingesting", total=total)

            def advance(source: str) -> None:
                progress.update(task, description=f"ingesting {source[-50:]}")
                progress.advance(task)

            report = desk.ingest(sources, fmt=fmt, on_source=advance)
    else:  # a log or a pipe: plain lines, so a long ingest never looks stuck
        lines = ProgressLines("ingest", "article", lambda line: click.echo(line, err=True))
        report = desk.ingest(sources, fmt=fmt, on_article=lines.advance)
        lines.finish()
    for failure in report.failed:
        click.echo(f"failed: {failure.source}: {failure.error}", err=True)
    if report.skipped:
        suffixes = Counter(Path(p).suffix.lower() or "(none)" for p in report.skipped)
        kinds = ", ".join(f"{n} {suffix}" for suffix, n in sorted(suffixes.items()))
        click.echo(f"skipped {len(report.skipped)} unsupported file(s) in folders: {kinds}", err=True)
    if json_:
        print_json(dataclasses.asdict(report))
    else:
        for link in report.syndicated:
            click.echo(f"syndicated copy: {link.source} = {link.copy_of} ({link.similarity:.0%} same text)", err=True)
        click.echo(_summary(report))
    if report.failed:
        ctx.exit(1)


@click.command()
@click.argument("articles", nargs=-1, required=True)
@click.option("--json", "json_", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def remove(ctx: click.Context, articles: tuple[str, ...], json_: bool) -> None:
    """Remove articles (by id, URL or file path) and all their chunks.

    \b
    Example:
      newsdesk remove a-aec08281245526b1
    """
    removed, missing = desk_of(ctx).remove(articles)
    if json_:
        print_json({"removed": removed, "not_found": missing})
    else:
        for article_id in removed:
            click.echo(f"removed {article_id}")
    for key in missing:
        click.echo(f"not found: {key} (see `newsdesk sources` for ids)", err=True)
    if missing:
        ctx.exit(1)
