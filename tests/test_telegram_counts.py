"""Counts in Telegram replies read as English: "1 article from 1 outlet", not "1 articles from 1 outlets" (#16)."""

from __future__ import annotations

import pytest

from bot.telegram.render import about_reply, counted, outlet_reply, sources_reply, start_reply
from ingest.outlets import OutletRegistry
from ingest.types import ArticleRecord, Outlet, OutletRef

GAZETTE = Outlet("The Harbour Gazette", ("harbourgazette.example",), "commercial", "Atlantis", "test: a fixture",
                 "2026-01")
ONE = OutletRegistry.from_outlets([GAZETTE])


def _record(n: int) -> ArticleRecord:
    ref = OutletRef("The Harbour Gazette", "harbourgazette.example")
    return ArticleRecord(f"a{n}", f"Title {n}", f"https://harbourgazette.example/{n}", "2026-10-14T08:30:00Z",
                         ref, ref, 1, f"{n}.txt")


def _text(html: tuple[str, ...]) -> str:
    return "\n".join(html)


@pytest.mark.parametrize(("n", "unit", "said"), [(0, "outlet", "0 outlets"), (1, "article", "1 article"),
                                                 (2, "article", "2 articles")])
def test_counted(n: int, unit: str, said: str) -> None:
    assert counted(n, unit) == said


def test_one_article_from_one_outlet() -> None:
    assert _text(sources_reply([_record(1)], ONE).messages).startswith("<b>1 article from 1 outlet</b>")
    assert ": 1 article from 1 outlet, published 2026-10-14" in _text(start_reply([_record(1)], ONE).messages)
    assert "<b>2 articles from 1 outlet</b>" in _text(sources_reply([_record(1), _record(2)], ONE).messages)


def test_a_registry_of_one_outlet() -> None:
    about = _text(about_reply(ONE).messages)
    assert "a registry of 1 outlet;" in about and "• test: 1 outlet\n" in about and "1 outlets" not in about
    assert "among the 1 outlet in the registry" in _text(outlet_reply("Nowhere", None, 1).messages)
