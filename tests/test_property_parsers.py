"""Property tests of the text, footer, HTML and feed parsers on hostile input (#10).

For any input only ``ArticleParseError`` escapes, every call finishes within its budget (tests/budget.py),
and what comes out keeps its promises: the body holds no control characters and no footer paragraph, and
every piece of evidence is text of the article. `make fuzz` runs these with thousands of examples.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.articles import ArticleParseError, parse_text
from ingest.feeds import entry_article, html_to_paragraphs, parse_feed
from ingest.html import parse_html
from ingest.provenance import body_claims, footer_claims, split_footer
from ingest.sentences import sentence_spans
from tests.budget import time_budget, within

pytestmark = pytest.mark.fuzz

BUDGET_S = 2.0
# trafilatura and feedparser take tens of milliseconds a call: fewer examples than the profile's, in proportion
# (about 25 HTML pages and 50 feeds in `make test`, 375 and 750 in `make fuzz`).
_SLOW_EXAMPLES = settings(max_examples=max(10, settings.default.max_examples // 8))
_MEDIUM_EXAMPLES = settings(max_examples=max(10, settings.default.max_examples // 4))
#: Characters the rules and splitters care about, so that hypothesis hits their edges often.
ADVERSARIAL = " .Tthepos\n-—|<>/&;:\"'©()[]*!?\t\r\x00\x0b\x0c\x1b\x7f\u00a0\u2028AP0123456789"
#: Fragments of credit lines, datelines, markup and YAML, repeated to build long hostile runs.
FRAGMENTS = [
    "The post ", "This post ", "appeared first on ", "originally published by ", "first appeared in ",
    "republished from ", "courtesy of, and owned and copyrighted by, https://", "© 2024 ", "(Reuters) - ",
    "WASHINGTON ", "(AFP) — ", "Copyright 2024 The Associated Press. All rights reserved", "please contact ",
    " ", ".", "A", "\n", "---\n", "&a ", "*a ", "title: ", "<", "<p>", "</p>", "<br>",
]


def _hostile_text(max_repeat: int) -> st.SearchStrategy[str]:
    plain = st.text(alphabet=st.sampled_from(ADVERSARIAL) | st.characters(), max_size=300)
    repeated = st.builds(lambda part, times: part * times, st.sampled_from(FRAGMENTS), st.integers(0, max_repeat))
    return st.lists(plain | repeated, max_size=5).map("".join)


LINES = _hostile_text(3000)
_CONTROL = {chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]}


def _no_control_chars(text: str) -> bool:
    text.encode("utf-8")  # no lone surrogates either: they cannot be stored
    return not _CONTROL & set(text)


@given(st.sampled_from(["", "---\ntitle: T\n---\n", "---\n"]), LINES)
def test_parse_text_raises_only_its_error_and_keeps_its_promises(front: str, text: str) -> None:
    try:
        article = within(BUDGET_S, parse_text, front + text, "hostile.txt")
    except ArticleParseError:
        return
    assert article.body.strip(), "an article always has a body"
    assert _no_control_chars(article.body) and _no_control_chars(article.title), "control characters are removed"
    body_paragraphs = article.body.split("\n\n")
    for paragraph in (article.footer or "").split("\n\n") if article.footer else []:
        assert footer_claims(paragraph), f"a footer paragraph is a credit line: {paragraph[:80]!r}"
    assert not footer_claims(body_paragraphs[-1]), "the body never ends in a footer paragraph"


@given(st.lists(_hostile_text(2000), max_size=6))
def test_split_footer_only_moves_trailing_credit_lines(paragraphs: list[str]) -> None:
    with time_budget(BUDGET_S, "split_footer"):
        body, claims, footer = split_footer(paragraphs)
    assert body + footer == paragraphs, "split_footer only splits, it never edits or drops paragraphs"
    assert bool(claims) == bool(footer)
    assert not body or not footer_claims(body[-1])


@given(LINES)
def test_body_claims_quote_the_body(body: str) -> None:
    claims = within(BUDGET_S, body_claims, body)
    flat = " ".join(body.split())
    for claim in claims:
        assert " ".join(claim.evidence.text.split()) in flat, f"evidence is text of the body: {claim.evidence}"


@given(LINES)
def test_sentence_spans_cover_the_text_in_order(text: str) -> None:
    spans = within(BUDGET_S, sentence_spans, text)
    cursor = 0
    for start, end in spans:
        assert cursor <= start < end <= len(text), f"spans are ordered and non-empty: {spans}"
        assert text[start:end] == text[start:end].strip(), "each sentence is trimmed"
        cursor = end


@given(_hostile_text(3000))
def test_feed_markup_to_paragraphs_is_bounded(markup: str) -> None:
    for paragraph in within(BUDGET_S, html_to_paragraphs, markup):
        assert paragraph and paragraph == " ".join(paragraph.split()), "paragraphs are non-empty, spaces collapsed"


_TEXT = _hostile_text(20)
_TAGS = ["p", "div", "article", "main", "span", "h1", "h2", "li", "ul", "a", "b", "blockquote", "script", "style"]


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, attrs, inner, closed: f"<{tag}{attrs}>{''.join(inner)}" + (f"</{tag}>" if closed else ""),
        st.sampled_from(_TAGS),
        st.sampled_from(["", ' class="content"', ' href="https://example.org/x"', ' id="a" class="b'] ),
        st.lists(children, max_size=4),
        st.booleans(),
    )


HTML_BODY = st.recursive(_TEXT, _element, max_leaves=12)
HEAD = st.sampled_from([
    "",
    "<title>T</title>",
    '<link rel="canonical" href="https://other.example/story"><meta property="og:site_name" content="Site">',
    '<script type="application/ld+json">{"publisher": {"name": "P"}, "datePublished": "2024-01-02"}</script>',
    '<script type="application/ld+json">[[[[[[{"@graph": [{"publisher": 1}]}]]]]]]</script>',
    '<meta property="article:published_time" content="yesterday">',
])


@_SLOW_EXAMPLES
@given(HEAD, st.lists(HTML_BODY, max_size=4).map("".join))
def test_parse_html_raises_only_its_error(head: str, body: str) -> None:
    page = f"<!doctype html><html><head>{head}</head><body>{body}</body></html>"
    try:
        article = within(BUDGET_S, parse_html, page, "hostile.html")
    except ArticleParseError:
        return
    assert article.body.strip() and _no_control_chars(article.body)


def _rss(title: str, link: str, items: list[tuple[str, str, str]]) -> bytes:
    entries = "".join(
        f"<item><title>{t}</title><link>{ln}</link><description>{d}</description></item>" for t, ln, d in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>{link}</link>' \
           f"{entries}</channel></rss>".encode(errors="surrogatepass")


_LINK = st.sampled_from(["", "https://example.org/a", "http://[::1", "https://other.example/x", "/etc/passwd", "x"])
FEEDS = st.one_of(
    st.binary(max_size=3000),
    st.builds(_rss, _TEXT, _LINK, st.lists(st.tuples(_TEXT, _LINK, _TEXT), max_size=4)),
)


@_MEDIUM_EXAMPLES
@given(FEEDS)
@example(b"<channel<link>a://[</link<item<link/\x00/")  # a relative link against a feed address that is no URL
def test_feed_reader_raises_only_its_error(data: bytes) -> None:
    try:
        feed = within(BUDGET_S, parse_feed, data, "hostile.xml")
    except ArticleParseError:
        return
    assert feed.entries, "a parsed feed has entries"
    for entry in feed.entries:
        try:
            article = within(BUDGET_S, entry_article, entry, feed, "hostile.xml")
        except ArticleParseError:
            continue
        assert article.body.strip() and _no_control_chars(article.body)
