"""Telegram rendering, pure: source lines, escaping, splitting at 4096 UTF-16 units, buttons, and 1,000 adversarial
passages rendered without one message Telegram would reject (checked by the strict validator of the fake API)."""

from __future__ import annotations

import random
import re

import pytest

from bot.telegram.chat import MORE, PASSAGE, AnsweredQuestion, ButtonPress, ChatState, PassageView, passage_view
from bot.telegram.html import MAX_TEXT_LENGTH, Span, bold, link, plain, render_messages, split_spans, to_html, utf16_len
from bot.telegram.render import (
    NOT_IN_REGISTRY,
    SOURCES_SHOWN,
    about_reply,
    answer_reply,
    more_sources_reply,
    passage_reply,
    source_line,
)
from bot.types import Answer, Citation, OutletLabel, SiteRef
from ingest.outlets import OutletRegistry
from tests.telegram_html_check import TelegramHTMLError, check_telegram_html, utf16_units

USSA = SiteRef("USSANews.com", "ussanews.com")
RT = OutletLabel(name="RT", domain="rt.com", kind="state-controlled", country="Russia",
                 source="ASD/GMF State Media Matrix (as of 2023-08)")


def _citation(n: int = 1, *, outlet: OutletLabel = RT, quote: str = "Kiev is not interested in peace.",
              title: str = "A title", url: str | None = "https://www.rt.com/news/1/", article: str | None = None,
              republished_by: SiteRef | None = USSA,
              published_at: str | None = "2025-08-27T10:00:00Z") -> Citation:
    return Citation(n=n, quote=quote, article_id=article or f"a-{n}", chunk_id=f"c-{n}", title=title, url=url,
                    published_at=published_at, outlet=outlet, republished_by=republished_by, start=0, end=len(quote))


def _answered(citations: list[Citation], *, asked: str = "q?", standalone: str = "q?") -> AnsweredQuestion:
    text = "\n".join(f"“{c.quote}” [{c.n}]" for c in citations)
    answer = Answer(question=standalone, answer=text, abstained=False, citations=tuple(citations))
    return AnsweredQuestion(asked, standalone, answer, tuple(PassageView(c, "", "") for c in citations))


def _shown(messages: tuple[str, ...] | list[str]) -> list[str]:
    return [check_telegram_html(m) for m in messages]


# ---- the validator itself: it must reject what Telegram rejects, or the other tests prove nothing ----

@pytest.mark.parametrize("text", [
    pytest.param("<script>x</script>", id="unsupported-tag"),
    pytest.param("a < b", id="bare-lt"),
    pytest.param("fish & chips", id="bare-amp"),
    pytest.param("&nbsp;", id="unknown-entity"),
    pytest.param("<b>open", id="unclosed"),
    pytest.param("<b><i>x</b></i>", id="crossed"),
    pytest.param('<a href="javascript:alert(1)">x</a>', id="js-link"),
    pytest.param('<b class="x">x</b>', id="attribute"),
    pytest.param("x" * 4097, id="4097-units"),
    pytest.param("👍" * 2049, id="2049-emoji"),
    pytest.param(" \n ", id="empty"),
])
def test_the_validator_rejects_what_telegram_rejects(text: str) -> None:
    with pytest.raises(TelegramHTMLError):
        check_telegram_html(text)


def test_the_validator_accepts_the_limit_and_decodes_entities() -> None:
    assert check_telegram_html("<b>" + "x" * 4096 + "</b>") == "x" * 4096
    assert check_telegram_html("👍" * 2048) == "👍" * 2048
    assert check_telegram_html('&lt;&amp;&#x27;&#39;&quot;<a href="https://a.example/?a=1&amp;b=2">l</a>') == "<&''\"l"


# ---- source lines ----

def test_the_compact_source_line_of_the_issue() -> None:
    assert source_line(_citation()) == "[1] RT (rt.com) · state-controlled, Russia · via USSANews.com · 2025-08-27"


def test_source_line_variants() -> None:
    unknown = OutletLabel(name="blog.example", domain="blog.example", kind="unknown", country=None, source=None)
    assert source_line(_citation(outlet=unknown, republished_by=None, published_at=None)) == (
        f"[1] blog.example · {NOT_IN_REGISTRY}")
    wire = OutletLabel(name="Meridian Wire", domain="meridianwire.example", kind="wire service", country=None,
                       source=None)
    assert source_line(_citation(3, outlet=wire, republished_by=None)) == (
        "[3] Meridian Wire (meridianwire.example) · wire service · 2025-08-27")


def test_quotes_from_one_article_share_a_line_and_the_outlet_links_to_it() -> None:
    reply = answer_reply(_answered([_citation(1, article="a"), _citation(2, article="a")]), "k3y_k3y-")
    [html] = reply.messages
    assert '[1, 2] <a href="https://www.rt.com/news/1/">RT (rt.com)</a> · state-controlled, Russia' in html
    assert [b.text for row in reply.buttons for b in row] == ["Passage 1", "Passage 2"]
    assert [b.data for row in reply.buttons for b in row] == ["p:k3y_k3y-:1", "p:k3y_k3y-:2"]


def test_more_sources_when_not_all_fit() -> None:
    answered = _answered([_citation(n) for n in range(1, SOURCES_SHOWN + 3)])
    reply = answer_reply(answered, "abcdefgh")
    assert reply.buttons[-1][0].text == "More sources (2)" and reply.buttons[-1][0].data == "m:abcdefgh"
    assert f"[{SOURCES_SHOWN + 1}] RT" not in check_telegram_html(reply.messages[0])
    more = more_sources_reply(answered, "abcdefgh")
    shown = check_telegram_html(more.messages[0])
    assert f"[{SOURCES_SHOWN + 1}] RT" in shown and f"[{SOURCES_SHOWN + 2}] RT" in shown
    rest = (SOURCES_SHOWN + 1, SOURCES_SHOWN + 2)
    assert [b.text for row in more.buttons for b in row] == [f"Passage {n}" for n in rest]


def test_a_rewritten_follow_up_says_how_it_was_read() -> None:
    reply = answer_reply(_answered([_citation()], asked="and Putin?", standalone="Putin (context: Kiev)?"), "k")
    assert check_telegram_html(reply.messages[0]).startswith("Follow-up, read as: Putin (context: Kiev)?\n\n")


def test_an_abstention_has_no_sources_or_buttons() -> None:
    answer = Answer(question="q", answer="The ingested articles do not answer this question.", abstained=True,
                    citations=())
    reply = answer_reply(AnsweredQuestion("q", "q", answer, ()), "k")
    assert _shown(reply.messages) == ["The ingested articles do not answer this question."] and reply.buttons == ()


def test_passage_card_bolds_the_quote_in_its_paragraph() -> None:
    body = "First paragraph.\nBefore the quote. Kiev is not interested in peace. After it.\nLast paragraph."
    start = body.index("Kiev")
    citation = Citation(n=2, quote="Kiev is not interested in peace.", article_id="a", chunk_id="c", title="T & <T>",
                        url="https://x.example/?a=1&b=2", published_at="2025-08-27", outlet=RT,
                        republished_by=SiteRef("USSANews.com", None), start=start, end=start + 32)
    view = passage_view(citation, body)
    assert (view.before, view.after) == ("Before the quote. ", " After it.")
    [html] = passage_reply(view).messages
    assert "<b>[2] T &amp; &lt;T&gt;</b>" in html
    assert "Before the quote. <b>Kiev is not interested in peace.</b> After it." in html
    assert "RT (rt.com) — state-controlled media, Russia" in html
    assert "republished by USSANews.com · 2025-08-27" in html
    assert '<a href="https://x.example/?a=1&amp;b=2">Read the article</a>' in html
    assert passage_view(citation, "the body changed since") == PassageView(citation, "", "")


def test_about_names_the_kinds_and_the_label_sources() -> None:
    shown = "\n".join(_shown(about_reply(OutletRegistry.bundled()).messages))
    assert "state-controlled: state-controlled media" in shown and "ASD/GMF State Media Matrix:" in shown


# ---- escaping and splitting ----

def test_every_text_is_escaped_and_only_web_links_are_links() -> None:
    spans = [plain("<script>&amp;</script>"), bold("a<b"), link("x", 'https://e.example/?q="1"&r=<2>'),
             link("js", "javascript:alert(1)"), link("none", None)]
    html = to_html(spans)
    assert html == ('&lt;script&gt;&amp;amp;&lt;/script&gt;<b>a&lt;b</b>'
                    '<a href="https://e.example/?q=%221%22&amp;r=%3C2%3E">x</a>jsnone')
    assert check_telegram_html(html) == '<script>&amp;</script>a<bxjsnone'


def test_a_message_at_the_limit_stays_whole_and_one_over_is_split() -> None:
    assert len(render_messages([plain("x" * MAX_TEXT_LENGTH)])) == 1
    two = render_messages([plain("x" * (MAX_TEXT_LENGTH + 1))])
    assert [utf16_units(check_telegram_html(m)) for m in two] == [MAX_TEXT_LENGTH, 1]
    emoji = render_messages([plain("👍" * 2049)])
    assert [utf16_units(check_telegram_html(m)) for m in emoji] == [4096, 2], "a pair is never cut"


def test_splits_prefer_paragraphs_then_lines_then_words() -> None:
    paragraph = "word " * 500  # 2,500 characters: two fit in a message, three do not
    pieces = split_spans([plain(paragraph + "\n\n" + paragraph + "\n" + paragraph)])
    assert ["".join(s.text for s in piece) for piece in pieces] == [paragraph.strip()] * 3
    words = split_spans([plain("word " * 1000)])
    assert ["".join(s.text for s in piece) for piece in words] == ["word " * 818 + "word", "word " * 180 + "word"]


def test_a_styled_span_across_a_cut_is_closed_and_reopened() -> None:
    messages = render_messages([plain("a" * 4000), bold("b" * 200 + " & c")])
    assert messages == ["a" * 4000 + "<b>" + "b" * 96 + "</b>", "<b>" + "b" * 104 + " &amp; c</b>"]
    assert "".join(check_telegram_html(m) for m in messages) == "a" * 4000 + "b" * 200 + " & c"


def test_lone_surrogates_become_replacement_characters() -> None:
    assert to_html([plain("a\ud800b")]) == "a\ufffdb"


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("a👍é") == utf16_units("a👍é") == 4


# ---- buttons and the per-chat memory ----

def test_button_data_round_trips_and_junk_is_refused() -> None:
    press = ButtonPress(PASSAGE, "Ab3_-xYz", 10)
    assert press.data == "p:Ab3_-xYz:10" and ButtonPress.parse(press.data) == press
    assert ButtonPress.parse("m:Ab3_-xYz") == ButtonPress(MORE, "Ab3_-xYz")
    for junk in (None, "", "p:key", "m:key:1", "x:key:1", "p:key:1:2", "p:" + "k" * 60 + ":1", "p:k y:1"):
        assert ButtonPress.parse(junk) is None, junk


def test_chat_state_keeps_a_bounded_history_and_answer_cache() -> None:
    state = ChatState(history_size=2, answers_kept=3)
    keys = [state.keep(_answered([_citation()], standalone=f"q{i}?")) for i in range(5)]
    assert list(state.history) == ["q3?", "q4?"]
    assert [state.find(k) is not None for k in keys] == [False, False, True, True, True]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{8}", k) for k in keys)


# ---- 1,000 adversarial passages ----

_NASTY = ["<", ">", "&", "&amp;", "&lt;", "&#x27;", "&nbsp;", "<b>", "</b>", "<i>", "<script>alert(1)</script>",
          '<a href="javascript:x">', "</a>", "<tg-spoiler>", "<br/>", '"', "'", "👍", "👍🏽", "👨‍👩‍👧", "🇺🇦", "é",
          "\u200f", "\u202e", "\n", "\n\n", " ", "\t", "[1]", "**", "`", "\\", "‏مرحبا", "中文", "\ufeff"]


_PIECES = _NASTY + ["word ", "wordword ", "a ", "sentence. ", "Quote: “x” "] * 7


def _nasty_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choices(_PIECES, k=size // 3 + 1))[:size]


def test_a_thousand_adversarial_passages_render_without_one_rejected_message() -> None:
    rng = random.Random(20261114)
    for i in range(1000):
        size = 10_000 if i % 10 == 0 else rng.randint(1, 600)
        outlet = OutletLabel(name=_nasty_text(rng, 30) or "x", domain=rng.choice([None, "a&b<c>.example"]),
                             kind=rng.choice(["state-controlled", "unknown", "<kind>&"]),
                             country=rng.choice([None, "Russia & <co>"]), source=rng.choice([None, "<src>&"]))
        citations = [
            _citation(n, outlet=outlet, quote=_nasty_text(rng, size).strip() or "q", title=_nasty_text(rng, 80),
                      url=rng.choice([None, "https://e.example/?a=1&b=<2>\"", "javascript:alert(1)", "ftp://x"]),
                      article=f"a{rng.randint(1, 7)}", republished_by=rng.choice([None, SiteRef("<via>&", None)]))
            for n in range(1, rng.randint(1, 8) + 1)
        ]
        answered = _answered(citations, asked=_nasty_text(rng, 40), standalone=_nasty_text(rng, 40))
        view = PassageView(citations[0], _nasty_text(rng, size // 2), _nasty_text(rng, size // 3))
        replies = [answer_reply(answered, "k"), passage_reply(view), more_sources_reply(answered, "k")]
        shown = "".join(check_telegram_html(m) for reply in replies for m in reply.messages)
        squeezed = re.sub(r"\s+", "", shown)
        assert re.sub(r"\s+", "", citations[0].quote) in squeezed, f"passage {i}: the quote was cut or mangled"
        assert all(len(b.data.encode()) <= 64 for reply in replies for row in reply.buttons for b in row)


def test_spans_cannot_be_built_wrong() -> None:
    with pytest.raises(ValueError):
        Span("x", "script")
    with pytest.raises(ValueError):
        Span("x", "a")
