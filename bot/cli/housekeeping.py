"""``newsdesk info`` and ``newsdesk reset``: where the data lives and what it holds; start over."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import click

from bot.cli.common import desk_of, print_json

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

    from bot.service import Newsdesk

HIDDEN = "(set, hidden)"
#: Settings whose plain-text value is a credential even if a field forgets to be a SecretStr.
_SECRET_NAME = re.compile(r"token|key|secret|password", re.I)


def _shown(name: str, value: Any) -> Any:
    """A setting's value as `info` prints it: secrets hidden, a URL's password hidden, paths as text."""
    from pydantic import SecretStr

    if isinstance(value, SecretStr):
        return HIDDEN if value.get_secret_value() else "(not set)"
    if value is None:
        return None
    if _SECRET_NAME.search(name) and isinstance(value, str):
        return HIDDEN if value else ""
    if isinstance(value, str) and "@" in value and "://" in value:
        parts = urlsplit(value)
        if parts.password:
            host = parts.netloc.rsplit("@", 1)[1]
            return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    if isinstance(value, tuple | list):
        return [_shown(name, item) for item in value]
    return value if isinstance(value, int | float | bool) else str(value)


def settings_in_effect(settings: BaseSettings) -> dict[str, Any]:
    """Every setting as ``NEWSDESK_NAME`` → value, secrets redacted."""
    return {f"NEWSDESK_{name.upper()}": _shown(name, getattr(settings, name)) for name in type(settings).model_fields}


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _facts(desk: Newsdesk) -> dict[str, Any]:
    from bot.answering.labels import outlet_label
    from bot.service import TOKENIZER_NAME
    from ingest.embedder import MODEL_NAME

    settings = desk.settings
    facts: dict[str, Any] = {
        "data_dir": str(settings.data_dir),
        "store": _shown("chroma_url", settings.chroma_url) or str(settings.chroma_dir),
        "collection": desk.collection_name,
        "index": str(settings.data_dir / "index" / desk.collection_name),
        "embedding_model": MODEL_NAME, "tokenizer": TOKENIZER_NAME,
        "articles": 0, "chunks": 0, "outlets": 0,
    }
    if desk.collection_exists():
        records = desk.sources()
        facts["articles"], facts["chunks"] = len(records), desk.count_chunks()
        facts["outlets"] = len({outlet_label(r.original, desk.registry).name for r in records})
    facts["settings"] = settings_in_effect(settings)
    return facts


@click.command()
@click.option("--json", "json_", is_flag=True, help="Print the facts as JSON.")
@click.pass_context
def info(ctx: click.Context, json_: bool) -> None:
    """Say where the data lives, what it holds, the embedding model and the settings in effect (secrets hidden).

    \b
    Example:
      newsdesk info
    """
    facts = _facts(desk_of(ctx))
    if json_:
        print_json(facts)
        return
    click.echo(f"data directory:  {facts['data_dir']}")
    click.echo(f"store:           {facts['store']}")
    click.echo(f"collection:      {facts['collection']}")
    click.echo(f"index cache:     {facts['index']}")
    click.echo(f"holds:           {_plural(facts['articles'], 'article')}, {_plural(facts['chunks'], 'chunk')}, "
               f"{_plural(facts['outlets'], 'outlet')}")
    click.echo(f"embedding model: {facts['embedding_model']} (chunks counted in {facts['tokenizer']} tokens)")
    click.echo("settings in effect:")
    for name, value in facts["settings"].items():
        click.echo(f"  {name}={'' if value is None else value}")


@click.command()
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def reset(ctx: click.Context, yes: bool) -> None:
    """Remove the collection the settings select, and its index cache, from the data directory.

    Other collections (other chunk settings, the eval's) and the outlet registry stay.

    \b
    Examples:
      newsdesk reset
      newsdesk reset --yes
    """
    desk = desk_of(ctx)
    if not yes:
        click.confirm(f"Remove every ingested article of collection {desk.collection_name} in "
                      f"{desk.settings.data_dir}?", abort=True, err=True)
    removed = desk.reset()
    if not removed:
        click.echo(f"nothing to remove: collection {desk.collection_name} is not in {desk.settings.data_dir}")
    for item in removed:
        click.echo(f"removed {item}")
