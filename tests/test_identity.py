"""One outlet, one identity (#11 item 1): a site's own name and its domain are never two outlets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.articles import parse_text
from ingest.html import parse_html
from ingest.identity import (
    is_hosting_origin,
    is_junk_site_name,
    name_fits_domain,
    same_outlet,
    site_identity,
    split_title_suffix,
)
from ingest.provenance import STRENGTH, Claim, decide
from ingest.types import Evidence, OutletRef
from tests.budget import within

BODY = "<p>" + " ".join(["The harbour committee met on Tuesday and approved the new storm barrier plan."] * 6) + "</p>"


def page(head: str, body: str = BODY) -> str:
    return f"<html><head>{head}</head><body><article><h1>Storm barrier approved</h1>{body}</article></body></html>"


def test_site_name_and_canonical_domain_are_one_outlet() -> None:
    html = page('<meta property="og:site_name" content="Coastal Ledger">'
                '<link rel="canonical" href="https://coastal-ledger.example/2026/barrier">')
    article = parse_html(html, "ledger.html")
    assert article.publisher == OutletRef("Coastal Ledger", "coastal-ledger.example"), article.evidence
    assert article.original == article.publisher, "the site's own name must not republish its own domain"


def test_junk_site_name_gives_way_to_the_registrable_domain() -> None:
    html = page('<meta property="og:site_name" content="U.S."><meta property="og:url" '
                'content="https://www.reuters.com/article/us-x">')
    article = parse_html(html, "reuters.html")
    assert article.publisher == OutletRef("reuters.com", "reuters.com")
    assert article.original == article.publisher


def test_canonical_to_a_hosting_origin_is_not_another_outlet() -> None:
    html = page('<meta property="og:site_name" content="FOX 13 News Utah (KSTU)">'
                '<meta property="og:url" content="https://www.fox13now.com/2013/12/30/laws">'
                '<link rel="canonical" href="https://localtvkstu.wordpress.com/2013/12/30/laws/">')
    article = parse_html(html, "fox13.html")
    assert article.original == article.publisher == OutletRef("FOX 13 News Utah (KSTU)", "fox13now.com")
    assert "canonical-hosting-origin" in {e.rule for e in article.evidence}


def test_canonical_to_another_site_still_names_the_original() -> None:
    html = page('<meta property="og:site_name" content="CityLab"><meta property="og:url" '
                'content="http://www.citylab.com/x/"><link rel="canonical" href="http://www.theatlantic.com/x/">')
    article = parse_html(html, "citylab.html")
    assert article.publisher == OutletRef("CityLab", "citylab.com")
    assert article.original is not None and article.original.domain == "theatlantic.com"


def test_text_front_matter_publisher_joins_the_url_domain() -> None:
    text = "---\npublisher: Coastal Ledger\nurl: https://coastal-ledger.example/a\n---\nHeadline\nBody text here.\n"
    article = parse_text(text, "a.txt")
    assert article.publisher == OutletRef("Coastal Ledger", "coastal-ledger.example")
    assert article.original == article.publisher


def test_a_credit_naming_the_site_itself_confirms_it() -> None:
    site = Claim(Evidence("og-site-name", "LiveScience.com"), OutletRef("LiveScience.com", "livescience.com"),
                 STRENGTH["declared"], "publisher")
    self_credit = Claim(Evidence("originally-published", "Originally published on Live Science."),
                        OutletRef("Live Science"), STRENGTH["footer"])
    publisher, original, evidence = decide([site, self_credit])
    assert original == publisher == OutletRef("LiveScience.com", "livescience.com")
    assert evidence[0].rule == "originally-published", "the deciding rule comes first"


@pytest.mark.parametrize(("name", "domain", "fits"), [
    pytest.param("Coastal Ledger", "coastal-ledger.example", True, id="words"),
    pytest.param("BBC News", "www.bbc.com", True, id="label-in-name"),
    pytest.param("Houston Chronicle", "chron.com", True, id="label-inside"),
    pytest.param("Yonhap News Agency", "en.yna.co.kr", True, id="initials"),
    pytest.param("Telegraph.co.uk", "telegraph.co.uk", True, id="domain-as-name"),
    pytest.param("Valley Daily Digest", "northwindradio.example", False, id="other-site"),
    pytest.param("Associated Press", "ctpost.com", False, id="wire-on-paper"),
])
def test_name_fits_domain(name: str, domain: str, fits: bool) -> None:
    assert name_fits_domain(name, domain) is fits


def test_junk_names_hosting_origins_and_title_suffixes() -> None:
    assert is_junk_site_name("U.S.") and is_junk_site_name("Home")
    assert is_junk_site_name("detroitnews", "detroitnews.com")
    assert not is_junk_site_name("Vice", "vice.com")
    assert is_hosting_origin("https://localtvkstu.wordpress.com/x")
    assert not is_hosting_origin("https://fox13now.com")
    assert split_title_suffix("Merkel wins | DW | 10.06.2013", [], "dw.com") == ("Merkel wins", "DW")
    assert split_title_suffix("Moon dust - The Planetary Press", ["The Planetary Press"], None) == (
        "Moon dust", "The Planetary Press")
    assert split_title_suffix("Storm - what we know", [], "ledger.example") == ("Storm - what we know", None)


@pytest.mark.fuzz
@given(st.text(max_size=400), st.text(max_size=120), st.text(max_size=120))
def test_identity_functions_are_total_and_fast(title: str, name: str, address: str) -> None:
    within(2.0, split_title_suffix, title, [name], address or None)
    within(2.0, site_identity, [name], [address])
    within(2.0, same_outlet, OutletRef(name, address or None), OutletRef(title[:50]))
    within(2.0, is_junk_site_name, name, address)


@pytest.mark.fuzz
@given(st.text(alphabet=st.sampled_from("ab .-|–—:«»·0123456789"), max_size=5000))
def test_title_suffix_is_linear_on_separator_floods(title: str) -> None:
    clean, _ = within(2.0, split_title_suffix, title, ["a b"], "ab.example")
    assert len(clean) <= len(title)
