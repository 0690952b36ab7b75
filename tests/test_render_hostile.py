"""The renderers on hostile text: the Telegram HTML splitter and the citation renderers (Telegram and CLI).

Property tests: any spans, titles, outlet names and URLs render without raising, within a time budget, into
messages Telegram accepts (the strict validator of the fake Bot API, and ``html.parser``), with no text lost.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cli.render import render_answer
from bot.telegram.chat import AnsweredQuestion, PassageView
from bot.telegram.html import MAX_TEXT_LENGTH, STYLES, Span, link, render_messages, to_html, utf16_len, web_href
from bot.telegram.render import answer_reply, more_sources_reply, passage_reply
from bot.types import Answer, Citation, OutletLabel, SiteRef
from tests.budget import within
from tests.telegram_html_check import check_telegram_html
from tests.test_telegram_render import _shown

BUDGET = 2.0
# RFC 3986: what a URL may hold once percent-encoded.
_VALID_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+")


class _Parsed(HTMLParser):
    """Tags and text of one message as a browser's parser reads them; raises on a stray or crossed end tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in STYLES, tag
        self.stack.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name == "href"]

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"</{tag}> closes nothing"

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(message: str) -> _Parsed:
    parsed = _Parsed()
    parsed.feed(message)
    parsed.close()
    assert not parsed.stack, f"unclosed {parsed.stack}"
    assert all(_VALID_URL.fullmatch(href) for href in parsed.hrefs), parsed.hrefs
    return parsed


# ---- hrefs: a stored article's URL renders as a valid link or as plain text ----

@pytest.mark.parametrize(("url", "href"), [
    pytest.param("https://e.example/a b", "https://e.example/a%20b", id="space"),
    pytest.param('https://e.example/?q="x"&r=<y>', "https://e.example/?q=%22x%22&r=%3Cy%3E", id="quotes-brackets"),
    pytest.param("https://e.example/it's", "https://e.example/it%27s", id="apostrophe"),
    pytest.param("http://bücher.example/straße", "http://xn--bcher-kva.example/stra%C3%9Fe", id="idna-and-utf8"),
    pytest.param("https://e.example/100%", "https://e.example/100%25", id="stray-percent"),
    pytest.param("https://e.example/%41#a#b", "https://e.example/%41#a%23b", id="escapes-kept"),
    pytest.param("HTTPS://user:pw@E.example:8443/p", "https://e.example:8443/p", id="case-port-userinfo"),
    pytest.param(" https://e.example/x\n", "https://e.example/x", id="surrounding-space"),
    pytest.param("https://[::1]:8080/x", "https://[::1]:8080/x", id="ipv6"),
])
def test_an_article_url_becomes_a_valid_href(url: str, href: str) -> None:
    assert web_href(url) == href
    html = to_html([link("article", url)])
    assert check_telegram_html(html) == "article" and f'href="{href.replace("&", "&amp;")}"' in html


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://e.example/", "https://[zz/x", "http://e.example:99999/",
                                 "http:///no-host", "https://e.example\\evil.example/", "https://a..b/", "", None,
                                 "https://" + "a" * 64 + ".example/"])
def test_a_url_that_cannot_be_a_link_stays_plain_text(url: str | None) -> None:
    assert link("article", url) == Span("article")


def test_an_answer_citing_a_url_with_a_space_is_accepted_by_telegram() -> None:
    citation = _citation(title="Ferry fares", url="https://harbourgazette.example/2026/ferry fares <new> \"now\"")
    for reply in _replies([citation]):
        _shown(reply.messages)  # raises where Telegram would answer 400 (and the user would get an apology)


# ---- property tests ----

_NASTY = st.sampled_from(["<", ">", "&", "&amp;", "&lt;", "<b>", "</b>", '"', "'", "👍", "🇺🇦", "\u202e", "\n",
                          "\n\n", " ", "\t", "\ud800", "\x00", "\x1b[2J", "\x85", "\u2028", "é", "a", "word "])
_TEXT = st.one_of(st.text(max_size=30), st.lists(_NASTY, max_size=12).map("".join))
_URL = st.one_of(st.none(), st.text(max_size=30), st.lists(_NASTY, max_size=8).map(
    lambda parts: "https://e.example/" + "".join(parts)), st.sampled_from(["javascript:x", "https://[zz", "tg://x"]))


@st.composite
def _spans(draw: st.DrawFn) -> list[Span]:
    spans = []
    for _ in range(draw(st.integers(0, 12))):
        style = draw(st.sampled_from(STYLES))
        text = draw(st.one_of(_TEXT, st.text(min_size=100, max_size=400)))
        spans.append(link(text, draw(_URL)) if style == "a" else Span(text, style))
    return spans


def _follows_the_input(pieces: list[str], text: str) -> None:
    """The pieces are the input in order, only whitespace left out between them (at the cuts)."""
    position = 0
    for piece in pieces:
        found = text.find(piece, position)
        assert found >= 0 and not text[position:found].strip(), f"{piece[:40]!r} is not next in the input"
        position = found + len(piece)
    assert not text[position:].strip(), "text after the last message was lost"


@pytest.mark.fuzz
@given(spans=_spans(), limit=st.one_of(st.integers(2, 120), st.just(MAX_TEXT_LENGTH)))
def test_any_spans_split_into_valid_messages_within_the_limit(spans: list[Span], limit: int) -> None:
    messages = within(BUDGET, render_messages, spans, limit)
    text = "".join(span.text for span in spans).encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    shown = []
    for message in messages:
        parsed = "".join(_parse(message).text)
        assert parsed == check_telegram_html(message, limit) and parsed.strip(), message
        assert utf16_len(parsed) <= limit
        shown.append(parsed)
    _follows_the_input(shown, text)


def _citation(n: int = 1, *, title: str = "t", url: str | None = None, name: str = "RT", domain: str | None = None,
              source: str | None = None, quote: str = "q", via: str | None = None, article: str = "a") -> Citation:
    outlet = OutletLabel(name=name, domain=domain, kind="state-controlled", country="Russia", source=source)
    return Citation(n=n, quote=quote, article_id=article, chunk_id=f"c{n}", title=title, url=url,
                    published_at="2025-08-27T10:00:00Z", outlet=outlet,
                    republished_by=SiteRef(via, None) if via else None, start=0, end=len(quote))


def _replies(citations: list[Citation]) -> list:
    text = "\n".join(f"“{c.quote}” [{c.n}]" for c in citations)
    answer = Answer(question="q", answer=text, abstained=False, citations=tuple(citations))
    answered = AnsweredQuestion("q", "q", answer, tuple(PassageView(c, "before ", " after") for c in citations))
    return [answer_reply(answered, "k"), passage_reply(answered.passages[0]), more_sources_reply(answered, "k")]


@st.composite
def _citations(draw: st.DrawFn) -> list[Citation]:
    count = draw(st.integers(1, 6))  # more than SOURCES_SHOWN articles at times
    return [_citation(n, title=draw(_TEXT), url=draw(_URL), name=draw(_TEXT) or "x", domain=draw(st.none() | _TEXT),
                      source=draw(st.none() | _TEXT), quote=draw(_TEXT).strip() or "q", via=draw(st.none() | _TEXT),
                      article=f"a{draw(st.integers(1, 7))}") for n in range(1, count + 1)]


@pytest.mark.fuzz
@given(citations=_citations())
def test_any_citation_renders_for_telegram_without_markup_escaping(citations: list[Citation]) -> None:
    for reply in within(BUDGET, _replies, citations):
        for message in reply.messages:
            check_telegram_html(message)
            _parse(message)


@pytest.mark.fuzz
@given(citations=_citations())
def test_any_citation_renders_for_the_terminal_without_control_characters(citations: list[Citation]) -> None:
    answer = Answer(question="q", answer="An answer.", abstained=False, citations=tuple(citations))
    text = within(BUDGET, render_answer, answer)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), "a control character reaches the terminal"
    groups = {c.article_id: c for c in citations}.values()
    first_of = {c.article_id: c for c in reversed(citations)}
    expected = sum(1 + bool(first_of[c.article_id].url) + bool(first_of[c.article_id].outlet.source) for c in groups)
    assert len(text.split("\n")) == 3 + expected, "each source entry is its own lines, whatever its fields hold"
