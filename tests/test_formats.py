"""Each input format, parsed from fixtures written for the project (tests/data/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.articles import ArticleParseError
from ingest.feeds import entry_article, original_links, parse_feed, plain_title, unwrap_url
from ingest.html import parse_html
from ingest.jsonfmt import parse_json
from ingest.loaders import load_file
from ingest.types import OutletRef
from tests.budget import within
from tests.conftest import SHARED

DATA = Path(__file__).parent / "data"


def test_html_page_gives_text_without_boilerplate_and_its_provenance() -> None:
    article = parse_html((DATA / "gazette-harbour.html").read_text(), "gazette-harbour.html")
    assert article.title == "Harbour reopens after storm"
    assert article.body.startswith("Port Aldren's inner harbour reopened")
    assert "speed limit of four knots" in article.body
    for boilerplate in ("Subscribe", "Privacy policy", "Read more"):
        assert boilerplate not in article.body, boilerplate
    assert article.author == "Mara Lindgren"
    assert article.published_at == "2026-10-16T06:45:00Z"
    assert article.url == "https://harbourgazette.example/2026/10/harbour-reopens"
    assert article.site_name == "The Harbour Gazette"
    assert {e.rule for e in article.evidence} >= {"html-canonical-link", "og-site-name", "jsonld-publisher"}
    # A saved page's site name and its canonical address are one outlet (#11): named and with its domain.
    assert article.publisher == OutletRef(name="The Harbour Gazette", domain="harbourgazette.example")
    assert article.original == article.publisher, "a site is not the republisher of itself"


def test_canonical_link_to_another_site_names_the_original() -> None:
    html = (DATA / "radio-barrier-syndicated.html").read_text()
    article = parse_html(html, "copy.html", page_url="https://valleydigest.example/news/barrier-contract")
    assert article.publisher == OutletRef(name="Valley Daily Digest", domain="valleydigest.example")
    assert article.original == OutletRef(name="northwindradio.example", domain="northwindradio.example")
    assert article.canonical_url == "https://northwindradio.example/2026/11/barrier-contract-awarded"
    assert article.location == article.canonical_url


def test_truncated_html_still_gives_what_is_there_or_a_clear_error() -> None:
    html = (DATA / "gazette-harbour.html").read_text()
    cut = html[: html.index("Harbourmaster Ilse")]
    article = parse_html(cut, "cut.html")
    assert "inner harbour reopened" in article.body
    with pytest.raises(ArticleParseError, match="no article text found in the HTML"):
        parse_html("<html><head><title>x</title></head><body><div>", "empty.html")


def test_rss_entries_become_articles() -> None:
    loaded = list(load_file(DATA / "feed-full.xml"))
    assert [a.title for a in loaded] == ["Library extends opening hours", "Bus fares frozen for 2027"]
    library = loaded[0]
    assert library.url == "https://northwindradio.example/2026/11/library-hours"
    assert library.published_at == "2026-11-09T08:00:00Z"
    assert "Head librarian Agnes Wu said" in library.body and "<p>" not in library.body
    assert library.publisher is not None and library.publisher.domain == "northwindradio.example"
    assert any(e.rule == "feed-metadata" for e in library.evidence)


def test_atom_feed_with_summaries() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Meridian Wire</title><link href="https://meridianwire.example/"/>
<updated>2026-11-20T10:00:00Z</updated><id>urn:x</id>
<entry><title>Port traffic up 8%</title><link href="https://meridianwire.example/2026/11/port-traffic"/>
<id>urn:1</id><updated>2026-11-20T10:00:00Z</updated>
<summary>Container traffic through Port Aldren rose 8% in October from a year earlier.</summary></entry></feed>"""
    feed = parse_feed(atom, "wire.atom")
    assert feed.title == "Meridian Wire" and len(feed.entries) == 1
    entry = feed.entries[0]
    assert entry.published_at == "2026-11-20T10:00:00Z" and not entry.full_text
    assert entry.link == "https://meridianwire.example/2026/11/port-traffic"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"<rss><channel><title>x</title><item><title>broken", id="truncated"),
        pytest.param(b"just some text, not a feed at all", id="not-xml"),
        pytest.param(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title></channel></rss>',
                     id="no-entries"),
    ],
)
def test_malformed_feed_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(ArticleParseError, match="feed"):
        parse_feed(data, "bad.xml")


def test_json_articles_and_a_broken_record() -> None:
    loaded = list(load_file(DATA / "articles.json"))
    articles = [x for x in loaded if not isinstance(x, ArticleParseError)]
    errors = [x for x in loaded if isinstance(x, ArticleParseError)]
    assert [a.title for a in articles] == ["Marina expansion approved", "Night market returns"]
    assert articles[0].original == OutletRef(name="The Harbour Gazette", domain="harbourgazette.example")
    assert articles[1].published_at == "2026-11-20T00:00:00Z"  # "date", no time: midnight UTC
    assert len(errors) == 1 and "no body" in errors[0].reason and "#2" in errors[0].source


def test_jsonl_with_a_bad_line_fails_that_line_only_with_its_number() -> None:
    loaded = list(load_file(DATA / "articles.jsonl"))
    failed = [item for item in loaded if isinstance(item, ArticleParseError)]
    assert [(f.source, f.reason[:14]) for f in failed] == [(f"{DATA / 'articles.jsonl'}#line 2", "not valid JSON")]
    assert [a.title for a in loaded if not isinstance(a, ArticleParseError)] == ["Ferry talks resume",
                                                                                "Pier lights replaced"]


def test_jsonl_records() -> None:
    lines = (DATA / "articles.jsonl").read_text().splitlines()
    good = "\n".join(line for line in lines if line.startswith("{"))
    titles = [a.title for a in parse_json(good, "ok.jsonl", lines=True)]
    assert titles == ["Ferry talks resume", "Pier lights replaced"]


def test_multihop_corpus_sample() -> None:
    corpus = SHARED / "data" / "multihop-rag" / "corpus.json"
    if not corpus.is_file():
        pytest.skip(f"the MultiHop-RAG corpus is not at {corpus} (../shared/data is absent)")
    records = json.loads(corpus.read_text())[:25]
    loaded = list(parse_json(json.dumps(records), "corpus.json", multihop=True))
    assert all(not isinstance(a, ArticleParseError) for a in loaded), loaded
    for record, article in zip(records, loaded, strict=True):
        assert article.original is not None and article.original.name == record["source"]
        assert article.published_at and article.published_at.endswith("Z")
        assert article.url == record["url"]


def test_multihop_format_checks_fields() -> None:
    loaded = list(parse_json('[{"title": "t", "body": "b"}]', "x.json", multihop=True))
    assert isinstance(loaded[0], ArticleParseError) and "not a MultiHop-RAG article" in loaded[0].reason


def test_feeds_as_they_are_in_the_wild() -> None:
    """FeedBurner origLink after a stray <item />, a Google Alerts redirect and <b> in titles (#11 item 3)."""
    rss = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"><channel>
<title>Ledger</title><link>https://coastal-ledger.example/</link>
<item><title>Barrier approved</title><link>http://feedproxy.google.com/~r/ledger/~3/abc/barrier</link>
<description>Short teaser.</description><item /><feedburner:origLink>https://coastal-ledger.example/2026/barrier</feedburner:origLink></item>
<item><title>&lt;b&gt;Harbour&lt;/b&gt; wall &amp;amp; funding</title>
<link>https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://harbourgazette.example/2026/wall&amp;ct=ga</link>
<description>Teaser.</description></item>
<item><title>Relative</title><link>/2026/relative</link><description>Teaser.</description></item>
</channel></rss>"""
    feed = parse_feed(rss, "ledger.rss")
    assert [e.link for e in feed.entries] == ["https://coastal-ledger.example/2026/barrier",
                                              "https://harbourgazette.example/2026/wall",
                                              "https://coastal-ledger.example/2026/relative"]
    assert feed.entries[1].title == "Harbour wall & funding"


@pytest.mark.fuzz
@given(st.text(max_size=600), st.binary(max_size=2000))
def test_feed_link_helpers_are_total_and_fast(text: str, data: bytes) -> None:
    within(2.0, unwrap_url, "https://www.google.com/url?url=" + text, "https://a.example/")
    within(2.0, unwrap_url, text, text)
    within(2.0, plain_title, "<b>" * 200 + text)
    within(2.0, original_links, b"<rss><channel><item><link>x</link><item />" + data)


def test_google_alerts_entries_are_credited_to_their_own_sites() -> None:
    atom = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Google Alert - harbour</title>
<link href="https://www.google.com/alerts/feeds/123/456" rel="self"/><link href="https://www.google.com/alerts"/>
<id>tag:google.com,2005:reader/user/123/state/com.google/alerts/456</id><updated>2026-11-20T10:00:00Z</updated>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id>
<title type="html">&lt;b&gt;Harbour&lt;/b&gt; wall approved</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://coastal-ledger.example/2026/wall&amp;ct=ga"/>
<published>2026-11-20T10:00:00Z</published><updated>2026-11-20T10:00:00Z</updated>
<content type="html">The harbour wall was approved on Tuesday by the council after a long debate.</content>
</entry></feed>"""
    (article,) = list(load_file_bytes(atom))
    assert article.title == "Harbour wall approved"
    assert article.url == "https://coastal-ledger.example/2026/wall"
    assert article.publisher is not None and article.publisher.domain == "coastal-ledger.example"
    assert article.original == article.publisher, "google.com neither published nor republished it"


def load_file_bytes(data: bytes) -> list[object]:
    feed = parse_feed(data, "alerts.atom")
    return [entry_article(entry, feed, "alerts.atom") for entry in feed.entries]
