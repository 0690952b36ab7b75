"""``newsdesk quotes``: who said what in one article, and which outlets reported and republished it."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import desk_of, print_json
from bot.errors import NewsdeskError


@click.command()
@click.argument("source")
@click.option("--json", "json_", is_flag=True, help="Print the quotes as JSON (docs/schemas/quote.schema.json).")
@click.pass_context
def quotes(ctx: click.Context, source: str, json_: bool) -> None:
    """Every quotation and piece of reported speech in one article, with speaker, role and reporting chain.

    SOURCE is a file or URL (read as `ingest` reads it, without storing it) or an ingested article's id.

    \b
    Examples:
      newsdesk quotes ../shared/seeds/000_f89702b78f56e684.txt
      newsdesk quotes 3f2a9c1e0b7d4e55 --json
    """
    from bot.cli.render import one_line
    from bot.research.attribution_text import article_quotes, provenance_names, quote_block
    from ingest.loaders import is_url

    desk = desk_of(ctx)
    if is_url(source) or Path(source).exists():
        from bot.cli.outlet_commands import first_article

        article = first_article(source, ctx)
        article_id, title, body, published_at = article.id, article.title, article.body, article.published_at
        original, publishers = article.original, [article.publisher]
    else:
        record = desk.article(source)
        body = desk.article_body(source) if record else None
        if record is None or body is None:
            raise NewsdeskError(f"{source!r} is not a file, a URL or the id of an ingested article "
                                "(`newsdesk sources` lists the ids)")
        article_id, title, published_at, original = record.id, record.title, record.published_at, record.original
        publishers = [record.publisher, *desk.publishers(record.id)]
    reported_by, republished_by = provenance_names(original, publishers, desk.registry)
    records = article_quotes(body, article_id=article_id, reported_by=reported_by, republished_by=republished_by,
                             published_at=published_at)
    if json_:
        print_json({"article_id": article_id, "title": title, "quotes": records})
        return
    # Article text may hold escape sequences: each line is made printable (and one line) before it reaches a terminal.
    click.echo(one_line(f"{title} [{article_id}]: {len(records)} {'quote' if len(records) == 1 else 'quotes'}"))
    for record in records:
        click.echo()
        click.echo(one_line(quote_block(record)))
