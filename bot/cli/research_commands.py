"""``newsdesk research``: a research brief on a question, as Markdown, HTML or JSON."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.common import OUTLET_KINDS, check_outlets, desk_of, option_filters

FORMATS = ("md", "html", "json")


def filters_in_words(since: str | None, until: str | None, outlets: tuple[str, ...], kinds: tuple[str, ...],
                     exclude_kinds: tuple[str, ...]) -> str:
    """``since 2025-08-01; until 2025-08-31; outlet rt.com; not state-controlled``: what the brief was limited to."""
    parts = [f"since {since}"] if since else []
    parts += [f"until {until}"] if until else []
    parts += [f"outlet {', '.join(outlets)}"] if outlets else []
    parts += [f"kind {', '.join(kinds)}"] if kinds else []
    parts += [f"not {', '.join(exclude_kinds)}"] if exclude_kinds else []
    return "; ".join(parts)


@click.command()
@click.argument("question")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="md", show_default=True,
              help="Markdown, a self-contained HTML page, or JSON (see the README, \"Research briefs\").")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Write the brief to this file instead of stdout.")
@click.option("-k", "k", type=click.IntRange(1, 100), default=None,
              help="Passages to gather (default: NEWSDESK_RESEARCH_K).")
@click.option("--outlet", "outlets", multiple=True, help="Only passages from this outlet (name or domain); repeatable.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(OUTLET_KINDS),
              help="Only passages from outlets of this kind; repeatable.")
@click.option("--exclude-kind", "exclude_kinds", multiple=True, type=click.Choice(OUTLET_KINDS),
              help="Leave out outlets of this kind; repeatable.")
@click.option("--since", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only articles published on or before this date (YYYY-MM-DD).")
@click.pass_context
def research(ctx: click.Context, question: str, fmt: str, out: Path | None, k: int | None, outlets: tuple[str, ...],
             kinds: tuple[str, ...], exclude_kinds: tuple[str, ...], since: str | None, until: str | None) -> None:
    """Write a research brief: a cited answer, what each outlet says, who said what, a timeline, and how
    independent the sources are (copies counted once, under their original).

    \b
    Examples:
      newsdesk research "What has Moscow demanded in peace talks?" --out brief.md
      newsdesk research "..." --format html --out brief.html
      newsdesk research "..." --since 2025-08-01 --outlet rt.com --exclude-kind state-controlled
    """
    from bot.research.render_html import render_html
    from bot.research.render_json import render_json
    from bot.research.render_markdown import render_markdown

    if not question.strip():
        raise click.UsageError("the question is empty")
    filters = option_filters(outlets, kinds, since, until, exclude_kinds)  # the same parsing as `ask`
    overlap = set(kinds) & set(exclude_kinds)
    if overlap:
        raise click.UsageError(f"--kind and --exclude-kind both name {', '.join(sorted(overlap))}")
    desk = desk_of(ctx)
    check_outlets(desk, outlets)
    brief = desk.research(question, filters, k,
                          filters_text=filters_in_words(since, until, outlets, kinds, exclude_kinds))
    text = {"md": render_markdown, "html": render_html, "json": render_json}[fmt](brief)
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write the brief to {out}: {error.strerror or error}") from None
    click.echo(f"wrote the brief ({brief.stories} stories, {len(brief.quotes)} quotes) to {out}", err=True)
