"""Helpers shared by the CLI command modules."""

from __future__ import annotations

import json
from typing import Any

import click

from bot.service import Newsdesk


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def desk_of(ctx: click.Context) -> Newsdesk:
    desk = ctx.find_object(Newsdesk)
    assert desk is not None, "the group callback always sets ctx.obj"
    return desk
