"""Writes one benchmark's section of docs/benchmarks.md, leaving the other sections as they are."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = "# Benchmarks\n\nEach section is written by the command it names; rerun that command to refresh it.\n"


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def write_section(key: str, title: str, command: str, body: str, *, path: Path = BENCHMARKS) -> None:
    """Replace (or append) the section ``key`` of docs/benchmarks.md (or of ``path``: tests write elsewhere)."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"<!-- {key} -->\n## {title}\n\nCommand: `{command}`  \nRun: {stamp} on {machine()}\n\n"
               f"{body.strip()}\n<!-- /{key} -->\n")
    pattern = re.compile(rf"<!-- {re.escape(key)} -->.*?<!-- /{re.escape(key)} -->\n", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
