"""Outlet detection on 45 real pages nobody on the team wrote (``../shared/data/realweb``, #11).

The expected outlet of each page and the evidence for it are in that folder's ``expected.json``; the
comparison is the one ``make eval-realweb`` reports (``bench/eval_realweb.py``).
"""

from __future__ import annotations

import json

import pytest

from bench.eval_realweb import PageResult, feed_result, page_result
from ingest.outlets import OutletRegistry
from tests.conftest import SHARED

REALWEB = SHARED / "data" / "realweb"
EXPECTED = (json.loads((REALWEB / "expected.json").read_text(encoding="utf-8")) if REALWEB.exists()
            else {"pages": {}, "feeds": {}})
pytestmark = pytest.mark.skipif(not REALWEB.exists(), reason=f"no real-web pages at {REALWEB}")


@pytest.fixture(scope="module")
def registry() -> OutletRegistry:
    return OutletRegistry.bundled()


@pytest.mark.parametrize("name", sorted(EXPECTED["pages"]) or ["(no data)"])
def test_real_page_original_and_publisher(name: str, registry: OutletRegistry) -> None:
    facts = EXPECTED["pages"][name]
    result: PageResult = page_result(REALWEB / "pages" / name, facts, registry)
    assert result.original_right, f"{name}: got {result.original} ({result.original_domain}); {facts['why']}"
    assert not result.self_republisher, f"{name}: {result.publisher} shown as republisher of {result.original}"
    assert result.publisher_domain, f"{name}: the publisher has no domain"
    assert result.named, f"{name}: {result.original} / {result.publisher} is a bare host, not a name"


@pytest.mark.parametrize("name", sorted(EXPECTED["feeds"]) or ["(no data)"])
def test_real_feed_entries_link_to_the_real_articles(name: str, registry: OutletRegistry) -> None:
    facts = EXPECTED["feeds"][name]
    result = feed_result(REALWEB / "feeds" / name, facts, registry)
    assert result.entries > 0, name
    assert result.domains_right, f"{name}: entries on {result.entry_domains}, expected {facts['entry_domains']}"
    assert result.html_in_titles == 0 and result.self_republishers == 0, result
