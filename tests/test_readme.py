"""The README is the user's manual: every `newsdesk` command line it shows must name real commands and options."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from bot.cli.app import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


_COMMAND = re.compile(r"^(?:[A-Z_]+=\S+\s+)*(?:\.venv/bin/)?newsdesk\s+(.*)$")


def _command_lines() -> list[str]:
    """Every `newsdesk …` line of the README's code blocks (after any VAR=value prefixes), comments cut."""
    lines = []
    for block in re.findall(r"```\n(.*?)```", README, re.S):
        for line in block.splitlines():
            if match := _COMMAND.match(line.split(" #")[0].strip()):
                lines.append(match.group(1).rstrip("\\").strip())
    return lines


def _resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    command: click.Command = cli
    rest = list(words)
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    return command, rest


def test_readme_shows_every_command() -> None:
    shown = {_resolve(shlex.split(line))[0].name for line in _command_lines()}
    for name in ("ingest", "ask", "chat", "sources", "remove", "show", "detect", "import", "telegram", "multihop"):
        assert name in shown, f"the README shows no `newsdesk … {name}` example"


@pytest.mark.parametrize("line", _command_lines())
def test_readme_command_lines_use_real_options(line: str) -> None:
    command, rest = _resolve(shlex.split(line))
    assert not isinstance(command, click.Group), f"{line!r} names no command"
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for word in rest:
        if word.startswith("-") and not word.startswith("--format="):
            flag = word.split("=")[0]
            assert flag in options, f"{line!r}: {flag} is not an option of `{command.name}` ({sorted(options)})"


def test_readme_documents_every_setting() -> None:
    from bot.settings import BotSettings

    missing = [f"NEWSDESK_{name.upper()}" for name in BotSettings.model_fields
               if f"NEWSDESK_{name.upper()}" not in README]
    assert missing == [], f"settings missing from the README's Configuration table: {missing}"
