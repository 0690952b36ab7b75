"""Hostile input to the text and feed parsers (#10): bodies that name files or URLs, YAML bombs, quadratic
regular expressions, oversized articles and control characters. Every bomb is generated here."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ingest.articles import MAX_BODY_CHARS, MAX_FRONT_MATTER_CHARS, ArticleParseError, parse_text
from ingest.dedup import SHINGLE_SAMPLE_CHARS, signature
from ingest.feeds import entry_article, html_to_paragraphs, parse_feed
from ingest.jsonfmt import parse_json
from ingest.loaders import MAX_PAGE_BYTES, load_file
from ingest.provenance import FOOTER_MAX_CHARS, FOOTER_RULES, footer_claims, split_footer
from ingest.sentences import sentence_spans
from tests.budget import time_budget, within
from tests.conftest import ROOT
from tests.local_http import LocalHTTPServer

SECRET = "SECRET-7f3a9c-do-not-quote"


def _secret_feed(tmp_path: Path) -> Path:
    """A readable local file that is itself a valid feed, so that reading it would ingest the secret."""
    item = f"<p>{SECRET} " + "private words " * 40 + "</p>"
    path = tmp_path / "private.xml"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Private</title><link>https://private.example/</link>'
        f"<item><title>{SECRET}</title><link>https://private.example/1</link>"
        f"<description><![CDATA[{item}]]></description></item></channel></rss>"
    )
    return path


def test_a_feed_whose_body_is_a_local_path_is_not_read_from_that_path(tmp_path: Path) -> None:
    secret = _secret_feed(tmp_path)
    with pytest.raises(ArticleParseError) as raised:
        parse_feed(str(secret).encode(), "https://attacker.example/feed.xml")
    assert SECRET not in str(raised.value), "the error must not quote the file the body names"


def test_a_feed_file_holding_a_path_ingests_nothing_from_that_path(tmp_path: Path) -> None:
    secret = _secret_feed(tmp_path)
    feed_file = tmp_path / "feed.xml"
    feed_file.write_text(str(secret))
    results = []
    try:
        results = list(load_file(feed_file))
    except ArticleParseError as error:
        results = [error]
    assert results and all(isinstance(r, ArticleParseError) for r in results), f"nothing may be ingested: {results}"
    assert all(SECRET not in str(r) for r in results), "the secret must never appear"


def test_a_feed_body_naming_dev_zero_fails_fast_with_bounded_memory() -> None:
    # In a child process with a 1.5 GB address-space limit: reading /dev/zero grew past 6 GB before the fix.
    script = textwrap.dedent("""
        from ingest.articles import ArticleParseError
        from ingest.feeds import parse_feed
        try:
            parse_feed(b"/dev/zero", "zero.xml")
        except ArticleParseError as error:
            print("refused:", error.reason)
    """)

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))

    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          preexec_fn=limit_memory)
    assert done.returncode == 0 and done.stdout.startswith("refused:"), f"{done.stdout}\n{done.stderr[-2000:]}"


def test_a_feed_body_that_is_a_url_is_not_fetched(http_server: LocalHTTPServer) -> None:
    http_server.add("/feed.xml", _RSS, content_type="application/rss+xml")
    with pytest.raises(ArticleParseError):
        parse_feed(http_server.url("/feed.xml").encode(), "https://attacker.example/feed.xml")
    assert http_server.requests == [], "the feed parser fetched the URL given as the body"


_RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Remote</title><item><title>Fetched</title>'
    b"<description>" + b"fetched words " * 40 + b"</description></item></channel></rss>"
)


def _alias_bomb(levels: int, width: int) -> str:
    """``a: &a x``, then each level a list of ``width`` aliases of the level before: ``width ** (levels - 1)``."""
    names = "abcdefghijklmnop"
    lines = ["a: &a x"]
    for level in range(1, levels):
        lines.append(f"{names[level]}: &{names[level]} [" + ",".join([f"*{names[level - 1]}"] * width) + "]")
    lines.append(f"title: *{names[levels - 1]}")
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("front_matter", "reason"),
    [
        # 9^6 = 531,441 strings when expanded: small enough to survive without the fix, so the test fails cleanly.
        pytest.param(_alias_bomb(7, 9), "anchors or aliases", id="alias-bomb"),
        pytest.param("title: &t Headline\nauthor: *t", "anchors or aliases", id="alias"),
        pytest.param("title: &t Headline", "anchors or aliases", id="anchor-only"),
        pytest.param("title: [a, b]", "not lists or mappings", id="list-value"),
        pytest.param("title:\n  nested: value", "not lists or mappings", id="mapping-value"),
        pytest.param("title: !!binary aGVsbG8=", "YAML tags", id="tag"),
    ],
)
def test_front_matter_refuses_aliases_anchors_tags_and_nested_values(front_matter: str, reason: str) -> None:
    text = f"---\n{front_matter}\n---\nHeadline\nThe body of the story.\n"
    with time_budget(2, "parse_text"), pytest.raises(ArticleParseError, match=reason):
        parse_text(text, "bomb.md")


def test_the_398_byte_alias_bomb_is_refused_before_it_expands() -> None:
    # Nine levels of nine aliases: 9^9 = 387 million strings (over 6 GB) had it been loaded.
    bomb = _alias_bomb(10, 9)
    assert len(bomb) < 400
    with time_budget(2, "parse_text"), pytest.raises(ArticleParseError, match="anchors or aliases"):
        parse_text(f"---\n{bomb}\n---\nHeadline\nBody.\n", "bomb.md")


def test_front_matter_size_is_bounded() -> None:
    padding = "x" * MAX_FRONT_MATTER_CHARS
    with pytest.raises(ArticleParseError, match=r"front matter is .* over the"):
        parse_text(f"---\ntitle: {padding}\n---\nHeadline\nBody.\n", "long.md")


def test_plain_front_matter_still_gives_its_facts() -> None:
    article = parse_text("---\ntitle: 'Quoted: title'\nauthor: Ana\npublished_at: 2026-10-14\n---\nBody.\n", "x.md")
    assert (article.title, article.author, article.published_at) == ("Quoted: title", "Ana", "2026-10-14T00:00:00Z")


_ADVERSARIAL = [
    pytest.param("The post " * 34_000, id="the-post-300KB"),
    pytest.param("This post appeared first on " * 10_000 + "\n", id="appeared-first-on-repeated"),
    pytest.param("The story first appeared at a " * 10_000 + ".x", id="originally-published-repeated"),
    pytest.param("© 2024 ab" + " \t" * 100_000, id="copyright-then-whitespace"),
    pytest.param("republished from " * 20_000, id="republished-from-repeated"),
    pytest.param(" " * 300_000 + "x", id="spaces"),
    pytest.param("." * 300_000, id="dots"),
    pytest.param("A" * 300_000, id="capitals"),
]


@pytest.mark.parametrize("rule", FOOTER_RULES, ids=[rule.name for rule in FOOTER_RULES])
@pytest.mark.parametrize("text", _ADVERSARIAL)
def test_every_footer_rule_is_linear_on_long_paragraphs(rule: object, text: str) -> None:
    within(1.0, rule.pattern.search, text)  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", _ADVERSARIAL)
def test_footer_detection_and_sentences_are_fast_on_long_paragraphs(text: str) -> None:
    within(1.0, split_footer, ["Headline text.", text])
    within(1.0, sentence_spans, text)
    within(1.0, html_to_paragraphs, text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a" + " " * 300_000 + "b", id="run-of-spaces"),
        pytest.param("a" + " \t" * 150_000 + "b", id="run-of-tabs"),
    ],
)
def test_sentence_spans_are_linear_in_runs_of_whitespace(text: str) -> None:
    assert within(1.0, sentence_spans, text) == [(0, len(text))], "no line break: one sentence"
    assert within(1.0, sentence_spans, text + "\n" + text) == [(0, len(text)), (len(text) + 1, 2 * len(text) + 1)]


def test_feed_markup_with_a_run_of_open_brackets_is_linear() -> None:
    assert within(1.0, html_to_paragraphs, "<" * 300_000 + "<p>ok</p>") == ["<" * 300_000 + "ok"]


def test_a_long_paragraph_is_never_a_footer() -> None:
    credit = "The post Harbour reopens appeared first on Harbour Gazette."
    assert footer_claims(credit), "a short credit line is a footer"
    long_paragraph = "Words of the story. " * (FOOTER_MAX_CHARS // 20) + credit
    assert footer_claims(long_paragraph) == []


def test_an_article_over_the_body_limit_is_refused_with_its_size() -> None:
    paragraph = "The council voted on the barrier budget. " * 100
    text = "Headline\n" + "\n".join([paragraph] * (MAX_BODY_CHARS // len(paragraph) + 1))
    with time_budget(2, "parse_text"), pytest.raises(ArticleParseError, match="over the 500,000-character limit"):
        parse_text(text, "huge.txt")


def test_a_web_page_over_the_page_limit_is_refused_before_extraction(tmp_path: Path) -> None:
    page = tmp_path / "huge.html"
    paragraph = "<p>The council voted on the barrier budget again today.</p>\n"
    page.write_text("<html><body>" + paragraph * (MAX_PAGE_BYTES // len(paragraph) + 1) + "</body></html>")
    with time_budget(2, "load_file"), pytest.raises(ArticleParseError, match="over the 5 MB limit for one web page"):
        list(load_file(page))


def test_an_article_at_the_body_limit_is_read() -> None:
    paragraph = "The council voted on the barrier budget. " * 100
    text = "Headline\n" + "\n".join([paragraph] * (MAX_BODY_CHARS // (len(paragraph) + 1)))
    article = within(2, parse_text, text, "big.txt")
    assert len(article.body) <= MAX_BODY_CHARS


def test_minhash_work_is_bounded_whatever_the_body_size() -> None:
    # Unique words, so every shingle is new: before the cap a 2 MB body hashed 300,000 shingles.
    head = " ".join(f"w{i}" for i in range(SHINGLE_SAMPLE_CHARS // 5))
    tail = " ".join(f"t{i}" for i in range(300_000))
    with time_budget(2, "signature"):
        long_sig = signature(head + " " + tail)
    assert (long_sig == signature(head[:SHINGLE_SAMPLE_CHARS])).all(), "only the sampled opening is shingled"


def test_nul_and_control_characters_are_removed_from_text(tmp_path: Path) -> None:
    path = tmp_path / "late-nul.txt"
    path.write_bytes(b"Headline\n" + b"Clean words. " * 1000 + b"\nA\x00B\x01C\x1bD\x7fE\tF end.\n")
    [article] = list(load_file(path))
    assert "ABCDE\tF end." in article.body
    assert not any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 0x7F for ch in article.body)


def test_escaped_nul_in_json_is_removed() -> None:
    record = {"title": "Head\u0000line", "body": "Body with a \u0000 NUL and a \u0007 bell.", "author": "A\u0000B"}
    [article] = list(parse_json(json.dumps([record]), "x.json", lines=False, multihop=False))
    assert (article.title, article.body, article.author) == ("Headline", "Body with a  NUL and a  bell.", "AB")


def test_a_nul_in_the_first_8_kb_still_marks_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "bin.txt"
    path.write_bytes(b"Headline\nBody\x00")
    with pytest.raises(ArticleParseError, match="binary file"):
        list(load_file(path))


def test_an_invalid_ipv6_address_as_publisher_or_feed_link_is_no_crash() -> None:
    # urllib raises ValueError("Invalid IPv6 URL") on these; only ArticleParseError may leave a parser.
    article = parse_text("---\npublisher: http://[news.example\n---\nHeadline\nThe body.\n", "x.md")
    assert article.publisher is not None and article.publisher.domain is None
    feed = parse_feed(b"<rss><channel><link>a://[</link><item><title>T</title><description>" + b"Words. " * 80
                      + b"</description></item></channel></rss>", "f.xml")
    assert entry_article(feed.entries[0], feed, "f.xml").body.startswith("Words.")


def test_lone_surrogates_from_json_escapes_become_replacement_characters() -> None:
    # json.loads turns "\ud800" into a lone surrogate, which no UTF-8 store or terminal can take.
    text = ('[{"title": "Head\\ud800line", "body": "Body \\udfff text.", "author": "A\\ud800",'
            ' "url": "https://x.example/\\ud800"}]')
    [article] = list(parse_json(text, "x.json", lines=False, multihop=False))
    assert (article.title, article.body, article.author) == ("Head\ufffdline", "Body \ufffd text.", "A\ufffd")
    for value in (article.title, article.body, article.author, article.url, article.source_path):
        (value or "").encode("utf-8")  # raises UnicodeEncodeError on a lone surrogate


def test_a_feed_cannot_pull_a_local_file_in_through_an_external_entity(tmp_path: Path) -> None:
    # A guard, not a fix: feedparser drops external entities; a switch of XML parser must keep that.
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    feed = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY e SYSTEM "file://{secret}">]><rss version="2.0">'
            f"<channel><title>T</title><item><title>x &e; y</title><description>{'words ' * 80}&e;</description>"
            "</item></channel></rss>").encode()
    try:
        parsed = parse_feed(feed, "xxe.xml")
    except ArticleParseError as error:
        assert SECRET not in str(error)
        return
    assert all(SECRET not in entry.title + entry.text for entry in parsed.entries)


def test_a_feed_entity_bomb_is_not_expanded() -> None:
    # A guard, not a fix: ten levels of ten entity references would be 10^10 characters.
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{f"&{chr(97 + i)};" * 10}">' for i in range(9)
    )
    feed = (f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><title>T</title>'
            f"<item><title>&j;</title><description>{'words ' * 80}&j;</description></item></channel></rss>").encode()
    with time_budget(5, "parse_feed"):
        try:
            parsed = parse_feed(feed, "bomb.xml")
        except ArticleParseError:
            return
    assert all(len(entry.title) + len(entry.text) < 10_000 for entry in parsed.entries)
