from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.articles import ArticleParseError, article_id, clean_text, parse_text, read_article_file, to_iso_utc
from ingest.types import OutletRef
from tests.conftest import SAMPLES


def test_seed_footer_is_provenance_not_body(seed: Path) -> None:
    article = read_article_file(seed)
    assert article.title.startswith("The US president reportedly believes")
    assert "courtesy of" not in article.body and "USSANews" not in article.body
    assert article.footer and "owned and copyrighted by, https://www.rt.com" in article.footer
    assert article.original == OutletRef(name="rt.com", domain="rt.com")
    assert article.publisher == OutletRef(name="USSANews.com", domain="ussanews.com")
    assert [e.rule for e in article.evidence] == ["courtesy-copyright-footer", "footer-contact"]
    assert article.body.endswith("Russian Foreign Minister Sergey Lavrov said last week.")


def test_republished_sample_names_original_and_host() -> None:
    article = read_article_file(SAMPLES / "05-battery-plant-opening-valley-digest.txt")
    assert article.original == OutletRef(name="meridianwire.example", domain="meridianwire.example")
    assert article.publisher is not None and article.publisher.domain == "valleydigest.example"
    assert article.published_at == "2026-11-12T14:05:00Z"


def test_front_matter_sets_facts_and_url_gives_the_publisher() -> None:
    article = parse_text(
        "---\ntitle: Harbour reopens\nurl: https://www.harbourgazette.example/2026/10/x\n"
        "published_at: 2026-10-14T10:30:00+02:00\n---\nThe harbour reopened on Monday.\n",
        "x.txt",
    )
    assert article.title == "Harbour reopens"
    assert article.body == "The harbour reopened on Monday."
    assert article.published_at == "2026-10-14T08:30:00Z"
    assert article.publisher == OutletRef(name="harbourgazette.example", domain="harbourgazette.example")
    assert article.original == article.publisher


def test_article_id_ignores_whitespace_changes() -> None:
    assert article_id("One  two\n\nthree.") == article_id("One two three.")
    assert article_id("One two three.") != article_id("One two four.")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"", "empty file", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary file", id="binary"),
        pytest.param(b"Headline\nBody with a bad byte \xff here.", "not valid UTF-8", id="invalid-utf8"),
        pytest.param(b"Only a headline\n", "no body text", id="headline-only"),
        pytest.param(b"---\nwho: me\n---\nHeadline\nBody.", "unknown front-matter keys", id="bad-front-matter"),
        pytest.param(b"---\npublished_at: last week\n---\nHeadline\nBody.", "not an ISO 8601 date", id="bad-date"),
    ],
)
def test_bad_files_get_a_specific_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleParseError, match=reason):
        read_article_file(path)


def test_unsupported_suffix_is_named(tmp_path: Path) -> None:
    path = tmp_path / "story.pdf"
    path.write_bytes(b"%PDF-1.7")
    with pytest.raises(ArticleParseError, match=r"unsupported file type '\.pdf'"):
        read_article_file(path)


def test_dates_are_normalised_to_utc() -> None:
    assert to_iso_utc("2023-11-27T08:45:59+00:00") == "2023-11-27T08:45:59Z"
    assert to_iso_utc("2026-10-01") == "2026-10-01T00:00:00Z"
    assert to_iso_utc(None) is None


def _cleaned_char_by_char(text: str) -> str:
    def clean(char: str) -> str:
        if 0xD800 <= ord(char) <= 0xDFFF:
            return "\ufffd"
        return "" if (ord(char) < 0x20 and char not in "\t\n\r") or char == "\x7f" else char
    return "".join(map(clean, text))


@pytest.mark.fuzz
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
       | st.lists(st.sampled_from(["a", "\x00", "\t", "\n", "\r", "\x1f", "\x7f", "\x80", "\ud800", "\udfff",
                                    "\ue000", "\ud7ff", "é"]), max_size=30).map("".join))
def test_clean_text_drops_control_characters_and_replaces_lone_surrogates(text: str) -> None:
    assert clean_text(text) == _cleaned_char_by_char(text)
