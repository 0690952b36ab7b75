"""``newsdesk outlets``: show an outlet's label card, detect who published a page, import outlet datasets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import DATASET_FORMATS, desk_of, print_json
from bot.errors import NewsdeskError

if TYPE_CHECKING:  # the parsers import trafilatura, feedparser and httpx: loaded by the commands that use them
    from ingest.fetch import Fetcher
    from ingest.types import Article


@click.group()
def outlets() -> None:
    """Outlet labels: show, detect, import."""


@outlets.command()
@click.argument("name_or_domain")
@click.option("--json", "json_", is_flag=True, help="Print the card as JSON.")
@click.pass_context
def show(ctx: click.Context, name_or_domain: str, json_: bool) -> None:
    """Show an outlet's label card: kind, state, owner, ratings, sanctions, each with source and date.

    \b
    Examples:
      newsdesk outlets show rt.com
      newsdesk outlets show "The Verge" --json
    """
    outlet = desk_of(ctx).find_outlet(name_or_domain)
    if outlet is None:
        raise NewsdeskError(f"no outlet {name_or_domain!r} in the registry: try a domain such as rt.com")
    from bot.answering.outlet_card import card_json, card_lines

    if json_:
        print_json(card_json(outlet))
    else:
        click.echo("\n".join(card_lines(outlet)))


def first_article(source: str, ctx: click.Context) -> Article:
    from ingest.articles import ArticleParseError
    from ingest.fetch import Fetcher
    from ingest.loaders import load_source
    from ingest.types import Article

    settings = desk_of(ctx).settings
    fetchers: list[Fetcher] = []

    def fetcher() -> Fetcher:
        fetchers.append(Fetcher.from_settings(settings))
        return fetchers[-1]

    try:
        for loaded in load_source(source, "auto", fetcher):
            if isinstance(loaded, Article):
                return loaded
        raise NewsdeskError(f"{source}: no article found")
    except ArticleParseError as error:
        raise NewsdeskError(str(error)) from error
    finally:
        for opened in fetchers:
            opened.close()


@outlets.command()
@click.argument("source")
@click.option("--json", "json_", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def detect(ctx: click.Context, source: str, json_: bool) -> None:
    """Say who published a file or URL and who originally wrote it, with the evidence, without ingesting it.

    \b
    Examples:
      newsdesk outlets detect page.html --json
      newsdesk outlets detect https://example.org/2025/05/story.html
    """
    from bot.answering.labels import describe, outlet_label

    article = first_article(source, ctx)
    registry = desk_of(ctx).registry
    publisher = registry.resolve(article.publisher)
    original = outlet_label(article.original, registry) if article.original else None
    result: dict[str, Any] = {
        "publisher": None if article.publisher is None else {
            "name": publisher.name if publisher else article.publisher.name,
            "domain": article.publisher.domain or (publisher.domain if publisher else None),
        },
        "original": None if original is None else {
            "name": original.name, "domain": original.domain, "kind": original.kind, "country": original.country,
        },
        "evidence": [{"rule": e.rule, "text": e.text} for e in article.evidence],
    }
    if json_:
        print_json(result)
        return
    pub = result["publisher"]
    host = f"{pub['name']} ({pub['domain']})" if pub and pub["domain"] else pub["name"] if pub else "unknown"
    click.echo(f"publisher: {host}")
    click.echo(f"original:  {describe(original) if original else 'unknown'}")
    click.echo("evidence (strongest first):" if article.evidence else "evidence: none")
    for item in article.evidence:
        click.echo(f"  {item.rule}: {item.text[:160]}")


@outlets.command(name="import")
@click.option("--format", "fmt", type=click.Choice(DATASET_FORMATS), required=True, help="Which dataset the file is.")
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_context
def import_(ctx: click.Context, fmt: str, path: Path) -> None:
    """Import a public outlet dataset into your local registry (kept per fact, with source and date).

    \b
    Examples:
      newsdesk outlets import --format state-media-matrix ../shared/data/outlets/state_media_matrix.csv
      newsdesk outlets import --format eu-bans ../shared/data/outlets/eu_annex_xv_media_bans.csv
    """
    from ingest.importers import DatasetError, import_dataset

    try:
        summary = import_dataset(fmt, path, desk_of(ctx).settings.data_dir)
    except DatasetError as error:
        raise NewsdeskError(str(error)) from error
    click.echo(f"imported {summary.outlets} outlets, {summary.facts} facts from {path} into {summary.written_to}")
