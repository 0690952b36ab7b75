"""Syndication evidence seen on real pages (#11 item 2), and the look-alikes that are not credits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.articles import build_article
from ingest.credits import byline_claims, credit_claims, head_claims, portal_claims, wire_of
from ingest.html import parse_html
from ingest.provenance import body_claims, footer_claims
from tests.budget import within

PARAGRAPHS = ["The council approved the budget on Tuesday after a long debate about the harbour wall."] * 3


@pytest.mark.parametrize(("line", "outlet"), [
    pytest.param("This post originally appeared on Grist.", "Grist", id="grist-on-salon"),
    pytest.param("This story originally appeared on The Atlantic.", "The Atlantic", id="citylab"),
    pytest.param("This article originally appeared at The Aviationist. Copyright 2015. Follow The Aviationist on "
                 "Twitter.", "The Aviationist", id="business-insider"),
    pytest.param("This story was produced by ProPublica and is republished with permission.", "ProPublica",
                 id="produced-by"),
    pytest.param("Republished with permission of Inside Climate News.", "Inside Climate News", id="permission"),
    pytest.param("Provided by European Space Agency", "European Space Agency", id="phys-org"),
])
def test_credit_line_names_the_original(line: str, outlet: str) -> None:
    claims = footer_claims(line)
    assert claims and claims[0].outlet.name == outlet, claims


def test_salon_page_crediting_grist_is_grists() -> None:
    article = build_article(title="Heat", paragraphs=[*PARAGRAPHS, "This post originally appeared on Grist."],
                            source="salon.txt", url="https://www.salon.com/2026/heat/")
    assert article.original is not None and article.original.name == "Grist"
    assert article.publisher is not None and article.publisher.domain == "salon.com"


@pytest.mark.parametrize(("text", "outlet"), [
    pytest.param("LISBON, Portugal (AP) — Portugal's president said on Monday.", "Associated Press", id="ap-country"),
    pytest.param("SURABAYA, Indonesia/JAKARTA (Reuters) - Bodies were found.", "Reuters", id="reuters-two-places"),
    pytest.param("By Reuters\nThe deal was signed.", "Reuters", id="by-reuters"),
    pytest.param("Reuters Staff\nThe deal was signed.", "Reuters", id="reuters-staff"),
])
def test_head_of_body_names_the_wire(text: str, outlet: str) -> None:
    assert [c.outlet.name for c in body_claims(text)] == [outlet]


@pytest.mark.parametrize(("byline", "outlet"), [
    pytest.param("Reuters, Washington", "Reuters", id="reuters-city"),
    pytest.param("PTI, Washington", "Press Trust of India", id="pti-city"),
    pytest.param("JORDAN ROBERTSON; RACHEL METZ; AP", "Associated Press", id="yahoo"),
    pytest.param("Tom Krisher; Ap Auto Writer", "Associated Press", id="ap-auto-writer"),
    pytest.param("Tom Davies Associated Press", "Associated Press", id="detroit-news"),
    pytest.param("The Associated Press", "Associated Press", id="ctv"),
    pytest.param("CNN Wire", "CNN", id="cnn-wire"),
])
def test_wire_bylines(byline: str, outlet: str) -> None:
    assert [c.outlet.name for c in byline_claims(byline, "byline")] == [outlet]


@pytest.mark.parametrize("text", [
    pytest.param("The Associated Press contributed to this report.", id="contributed"),
    pytest.param("Associated Press writers Jay Reeves in Birmingham contributed to this report.", id="writers"),
    pytest.param("A police officer stands guard. (AP Photo/Hassene Dridi)", id="photo-credit"),
    pytest.param("Emma Brockes", id="person"),
])
def test_traps_are_not_credits(text: str) -> None:
    assert footer_claims(text) == [] and byline_claims(text, "byline") == [] and credit_claims(text) == []


def test_contributed_tagline_does_not_make_a_copy() -> None:
    html = ("<html><head><meta property='og:site_name' content='Fox News'><meta property='og:url' "
            "content='http://www.foxnews.com/politics/x'></head><body><article><h1>Iran</h1><p>"
            + " ".join(PARAGRAPHS) + "</p><p>The Associated Press contributed to this report.</p>"
            "<figure><figcaption>A reactor near Bushehr. (AP Photo)</figcaption></figure></article></body></html>")
    article = parse_html(html, "fox.html")
    assert article.original == article.publisher and article.publisher is not None
    assert article.publisher.domain == "foxnews.com"


def test_portal_slug_and_wire_names() -> None:
    claims = portal_claims("https://gma.yahoo.com/veteran-wraps-baby-175203890--abc-news-topstories.html")
    assert [c.outlet.name for c in claims] == ["ABC News"]
    assert portal_claims("http://finance.yahoo.com/news/best-psvr-games-170003443.html") == []
    assert wire_of("Emma Brockes") is None and wire_of("By Reuters") is not None


@pytest.mark.fuzz
@given(st.text(max_size=600))
def test_credit_rules_are_total_and_fast_on_any_text(text: str) -> None:
    # Each call takes well under a millisecond; 2 s leaves room for a loaded shared machine and still
    # catches backtracking, which on these inputs takes far longer or never ends.
    within(2.0, credit_claims, text)
    within(2.0, byline_claims, text, "byline")
    within(2.0, head_claims, text)
    within(2.0, portal_claims, "https://news.yahoo.com/" + text)


@pytest.mark.fuzz
@given(st.text(alphabet=st.sampled_from("ABC ,.-/()APReuters—–\n"), min_size=1000, max_size=5000))
def test_credit_rules_are_linear_on_hostile_floods(text: str) -> None:
    within(2.0, credit_claims, text[:300])
    within(2.0, byline_claims, text, "byline")
    within(2.0, head_claims, text)
    within(2.0, footer_claims, text)
