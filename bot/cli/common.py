"""Helpers shared by the CLI command modules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from bot.errors import NewsdeskError

if TYPE_CHECKING:
    from bot.retrieval.retriever import Filters
    from bot.service import Newsdesk

# Copies of ingest.loaders.FORMATS, ingest.importers.FORMATS and ingest.outlets.KIND_PHRASES for the options'
# choices: importing those modules would cost `--help` the parsers. tests/test_cli_startup.py keeps them equal.
INGEST_FORMATS = ("auto", "text", "html", "feed", "json", "jsonl", "multihop")
DATASET_FORMATS = ("state-media-matrix", "lin2023", "wikipedia-perennial", "eu-bans")
OUTLET_KINDS = (
    "aggregator", "commercial", "nonprofit", "public broadcaster", "state-controlled", "state-funded independent",
    "unknown", "wire service",
)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


class DeskOnDemand:
    """What the group callback leaves in ``ctx.obj``: the settings and the desk are built by the first command
    that needs them, so ``--help`` and usage errors never import pydantic, the store or the model."""

    def __init__(self) -> None:
        self._desk: Newsdesk | None = None

    def get(self) -> Newsdesk:
        if self._desk is None:
            from pydantic import ValidationError

            from bot.service import Newsdesk
            from bot.settings import BotSettings

            try:
                settings = BotSettings()
            except ValidationError as error:
                first = error.errors()[0]
                raise click.ClickException(
                    f"invalid setting NEWSDESK_{str(first['loc'][0]).upper()}: {first['msg']}") from None
            self._desk = Newsdesk(settings)
        return self._desk

    def close(self) -> None:
        """Close the desk's store, if a command opened it (the group registers this to run when the command ends)."""
        if self._desk is not None:
            self._desk.close()


def desk_of(ctx: click.Context) -> Newsdesk:
    holder = ctx.find_object(DeskOnDemand)
    assert holder is not None, "the group callback always sets ctx.obj"
    return holder.get()


def option_filters(outlets: tuple[str, ...], kinds: tuple[str, ...], since: str | None, until: str | None,
                   exclude_kinds: tuple[str, ...] = ()) -> Filters:
    """The ``--outlet/--kind/--exclude-kind/--since/--until`` options of `ask` and `research` as ``Filters``; a
    usage error when ``--since`` is after ``--until``."""
    from bot.retrieval.retriever import Filters

    filters = Filters(outlets=outlets, kinds=kinds, exclude_kinds=exclude_kinds, since=_timestamp(since, "--since"),
                      until=_timestamp(until, "--until", end=True), today=datetime.now().date())
    if filters.since is not None and filters.until is not None and filters.since > filters.until:
        raise click.UsageError(f"--since {since} is after --until {until}: no article can match both")
    return filters


def _timestamp(value: str | None, option: str, *, end: bool = False) -> float | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2023-10-05", param_hint=option) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end and len(value) == 10:  # a bare date as --until includes that whole day
        moment += timedelta(days=1, seconds=-1)
    return moment.timestamp()


def check_outlets(desk: Newsdesk, outlets: tuple[str, ...]) -> None:
    """Fail, naming them, when no ingested article comes from any of the ``--outlet`` values."""
    records = desk.sources() if outlets else []
    if not records:  # an empty collection gets its own message from `ask`
        return
    stored: set[str] = set()
    for record in records:
        for ref in (record.original, record.publisher):
            if ref is not None:
                resolved = desk.registry.resolve(ref)
                stored.update(n.casefold() for n in (ref.name, ref.domain, resolved and resolved.name) if n)
    wanted = {name: desk.find_outlet(name) for name in outlets}
    if any(name.casefold() in stored or (o is not None and o.name.casefold() in stored) for name, o in wanted.items()):
        return
    raise NewsdeskError(f"no articles from {' or '.join(outlets)} in the collection: "
                        "`newsdesk sources` lists the outlets there are")
