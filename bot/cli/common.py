"""Helpers shared by the CLI command modules."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
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


def desk_of(ctx: click.Context) -> Newsdesk:
    holder = ctx.find_object(DeskOnDemand)
    assert holder is not None, "the group callback always sets ctx.obj"
    return holder.get()
