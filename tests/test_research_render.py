"""The brief's renderers on hostile text: the HTML page and the Markdown keep article text as text, whatever it holds.

``hostile_brief`` puts one string everywhere an article, the registry or a user can put text (question, title,
URL, outlet name, quote, speaker, timeline); the properties check that no tag, attribute, link or Markdown
markup comes out of it, and that the text is still shown.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.research.brief import AttributedQuote, Brief, Excerpt, OutletSection
from bot.research.corroboration import CorroborationTable, OutletRow
from bot.research.quote_types import Quote
from bot.research.render_html import SECTIONS, render_html
from bot.research.render_markdown import md_link, md_text, render_markdown
from bot.research.timeline import TimelineEntry
from bot.types import Answer, Citation, OutletLabel, SiteRef
from tests.budget import within

#: The tags and attributes the page itself writes; nothing else may appear, whatever the text.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "p", "section", "ol", "li",
             "ul", "blockquote", "a", "strong", "q", "br", "span", "div", "table", "thead", "tbody", "tr", "th", "td"}
PAGE_ATTRIBUTES = {"lang", "charset", "name", "content", "http-equiv", "class", "id", "href", "rel", "value", "role"}
HOSTILE = [
    '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "</style><b>x</b>",
    "[click](http://evil.example) ![i](http://evil.example/x.png) <http://evil.example>", "&lt;b&gt; &amp; &#x3C;",
    "*bold* _it_ `code` | table | ~~s~~ \\", "<!-- c --> <![CDATA[x]]> <?php ?>", "\u202e\u2028\x00\ud800 ok",
]


def hostile_brief(text: str, url: str | None = None) -> Brief:
    """A brief with ``text`` in every field that can carry article, registry or user text."""
    outlet = OutletLabel(name=text, domain=text, kind=text, country=text, source=text, sanctions=(text,), rating=text)
    citation = Citation(n=1, quote=text, article_id="a-1", chunk_id="c-1", title=text, url=url, published_at=text,
                        outlet=outlet, republished_by=SiteRef(text, text), start=0, end=len(text))
    answer = Answer(question=text, answer=f"“{text}” [1]", abstained=False, citations=(citation,), notice=text)
    excerpt = Excerpt(text=text, article_id="a-1", title=text, url=url, published_at=text, start=0, end=len(text))
    quote = AttributedQuote(
        quote=Quote(text=text, start=0, end=len(text), kind="direct", speaker=text, speaker_role=text, anonymous=True,
                    via=(text,)),
        article_id="a-1", title=text, url=url, reported_by=text, republished_by=(text,), published_at=text)
    events = tuple(TimelineEntry(date="2025-08-26", kind=kind, text=text, article_id="a-1", title=text, url=url,
                                 outlet=text, resolved_from=text, until="2025-08-27")
                   for kind in ("published", "event"))
    row = OutletRow(outlet=text, domain=text, kind=text, country=text, owner=text, source=text, stories=1,
                    also_carried_by=(text,))
    table = CorroborationTable(rows=(row,), by_kind=((text, 1),), summary=text, warning=text)
    return Brief(question=text, filters=text, answer=answer,
                 sources=(OutletSection(outlet=outlet, republished_by=(SiteRef(text, text),), excerpts=(excerpt,)),),
                 quotes=(quote,), timeline=events, corroboration=table, passages=1, stories=1)


class _Page(HTMLParser):
    """Every tag and attribute of a page, and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def unknown_decl(self, data: str) -> None:
        raise AssertionError(f"a declaration in the page: {data!r}")

    def handle_comment(self, data: str) -> None:
        raise AssertionError(f"a comment in the page: {data!r}")

    def handle_pi(self, data: str) -> None:
        raise AssertionError(f"a processing instruction in the page: {data!r}")


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def check_page(page: str, text: str, url: str | None) -> None:
    parsed = parse(page)
    for tag, attrs in parsed.tags:
        assert tag in PAGE_TAGS, f"<{tag}> came out of the text {text!r}"
        assert set(attrs) <= PAGE_ATTRIBUTES, f"<{tag} {attrs}> from {text!r}"
        if tag == "a":
            assert re.match(r"https?://", attrs["href"] or ""), attrs
            assert attrs["href"] == url, "a link goes to the article's URL and nowhere else"
    assert [t for t, _ in parsed.tags].count("style") == 1 and [t for t, _ in parsed.tags].count("body") == 1
    ids = [attrs["id"] for _, attrs in parsed.tags if "id" in attrs]
    assert ids == [section_id for section_id, _ in SECTIONS], "sections are the page's own, in order"
    shown = "".join(parsed.text)
    visible = text.strip()
    if visible and "\x00" not in visible:  # the parser keeps NUL as U+FFFD in some builds: compared elsewhere
        assert html.escape(visible, quote=True) in page or visible in shown


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_text_in_the_html_brief(text: str) -> None:
    check_page(render_html(hostile_brief(text, url="https://example.org/a?x=1&y=<2>")), text,
               "https://example.org/a?x=1&y=<2>")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>x</script>", "/etc/passwd",
                                 "file:///etc/passwd", " javascript:x", None])
def test_only_http_links_are_made(url: str | None) -> None:
    page = render_html(hostile_brief("words", url=url))
    assert not [attrs for tag, attrs in parse(page).tags if tag == "a"], "no link to a non-http target"


def test_the_page_is_self_contained_and_fits_a_phone_and_print() -> None:
    page = render_html(hostile_brief("words", url="https://example.org/a"))
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "@media print" in page and "default-src 'none'" in page
    assert not re.search(r"""(?:src|@import|url\()\s*=?\s*["']?(?:https?:)?//""", page), "no external asset"


@pytest.mark.fuzz
@given(st.text(max_size=300), st.sampled_from([None, "https://example.org/a", "javascript:alert(1)"]))
def test_any_text_stays_text_in_the_html_brief(text: str, url: str | None) -> None:
    page = within(2.0, render_html, hostile_brief(text, url=url))
    check_page(page, text, url if url and url.startswith("https") else None)


def _unescaped_markup(markdown: str) -> list[str]:
    """Markdown characters in ``markdown`` not preceded by the backslash that makes them literal."""
    found, i = [], 0
    while i < len(markdown):
        if markdown[i] == "\\":
            i += 2
            continue
        if markdown[i] in "`*_[]<>|~&":
            found.append(markdown[i])
        i += 1
    return found


@pytest.mark.fuzz
@given(st.text(max_size=300))
def test_any_text_is_escaped_in_markdown(text: str) -> None:
    escaped = within(1.0, md_text, text)
    assert not _unescaped_markup(escaped), escaped
    assert "\n" not in escaped and re.sub(r"\\(.)", r"\1", escaped) == " ".join(text.split())


def test_a_markdown_link_cannot_break_out_of_its_target() -> None:
    assert md_link("t", "https://e.org/a) [x](http://evil") == "[t](<https://e.org/a%29%20[x]%28http://evil>)"
    assert md_link("t", "https://e.org/a> x") == "[t](<https://e.org/a%3E%20x>)"
    assert md_link("[t]", "javascript:alert(1)") == "\\[t\\]"


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_adds_no_markdown(text: str) -> None:
    markdown = render_markdown(hostile_brief(text, url="https://example.org/a"))
    for markup in (r"<script", r"\]\(http://evil", r"<http://evil", r"<img", r"</?b>"):
        assert not re.search(r"(?<!\\)" + markup, markdown), f"{markup} unescaped in {markdown}"
