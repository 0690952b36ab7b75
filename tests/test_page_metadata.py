"""Article metadata from real-world pages (#11 item 5): clean titles, the page's own dates, no captions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.articles import ArticleParseError
from ingest.html import MIN_ARTICLE_WORDS, date_in_url, parse_html, plausible_date
from ingest.loaders import load_file
from tests.budget import within
from tests.conftest import SHARED

TEXT = " ".join(["The committee approved the plan for the harbour wall after a long debate on Tuesday."] * 6)


def page(head: str, body: str = f"<p>{TEXT}</p>", h1: str = "") -> str:
    return f"<html><head>{head}</head><body><article>{h1}{body}</article></body></html>"


@pytest.mark.parametrize(("title", "head", "clean"), [
    pytest.param("Merkel wins vote | DW | 10.06.2013", '<meta property="og:url" content="https://www.dw.com/en/x">',
                 "Merkel wins vote", id="dw-date"),
    pytest.param("Moon dust found - The Planetary Press",
                 '<meta property="og:site_name" content="The Planetary Press">', "Moon dust found", id="site-name"),
])
def test_titles_lose_the_site_suffix(title: str, head: str, clean: str) -> None:
    article = parse_html(page(f"<title>{title}</title>{head}"), "p.html")
    assert article.title == clean


def test_placeholder_and_guessed_dates_lose_to_the_page_address() -> None:
    head = ('<meta property="og:url" content="http://www.cnn.com/2010/POLITICS/08/13/democrats/index.html">'
            '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "0001-01-01T00:00:00Z"}'
            "</script><title>Democrats</title>")
    body = f"<p>{TEXT}</p><aside><a href='/2011/08/19/x'>Related, August 19, 2011</a></aside>"
    assert parse_html(page(head, body), "cnn.html").published_at == "2010-08-13T00:00:00Z"
    assert date_in_url("https://a.example/2026/13/40/x") is None and not plausible_date("0001-01-01")


def test_a_caption_or_a_stub_is_reported_not_stored() -> None:
    caption = ("<p>Indonesian rescue workers carry a body recovered from the Java Sea at the airport in Pangkalan Bun,"
               " Central Borneo, on Wednesday, Dec. 31, 2014. (AP Photo/Achmad Ibrahim)</p>")
    with pytest.raises(ArticleParseError, match=r"only 27 words extracted: 'Indonesian rescue .*photo caption"):
        parse_html(page("<title>Photo</title>", caption), "caption.html")
    stub = f"only 4 words extracted: 'Read more on this.'.*minimum is {MIN_ARTICLE_WORDS}"
    with pytest.raises(ArticleParseError, match=stub):
        parse_html(page("<title>Stub</title>", "<p>Read more on this.</p>"), "stub.html")


REALWEB = SHARED / "data" / "realweb" / "pages"


@pytest.mark.skipif(not REALWEB.exists(), reason=f"no real-web pages at {REALWEB}")
@pytest.mark.parametrize(("name", "title", "date"), [
    pytest.param("albawaba.com--presstv-assange-sweden.html",
                 "Sweden Drops Its Investigation Into Rape Allegation Against Julian Assange", "2019-11-20",
                 id="albawaba"),
    pytest.param("cnn.com--democrats-social-security.html", None, "2010-08-13", id="cnn-url-date"),
    pytest.param("detroitnews.com--ap-indiana-teachers-protest.html", None, "2019-11-19", id="detroit-placeholder"),
])
def test_real_page_title_and_date(name: str, title: str | None, date: str) -> None:
    article = next(iter(load_file(REALWEB / name)))
    assert not isinstance(article, ArticleParseError), article
    assert title is None or article.title == title
    assert (article.published_at or "").startswith(date), article.published_at


@pytest.mark.fuzz
@given(st.text(max_size=3000))
def test_date_in_url_is_total_and_fast(text: str) -> None:
    within(2.0, date_in_url, "https://a.example/" + text)
    within(2.0, plausible_date, text[:100])
