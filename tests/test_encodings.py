"""Pages and texts that are not UTF-8 (#11 item 4): read by their declared charset, then by detection."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.articles import ArticleParseError, read_article_file
from ingest.html import declared_charset, decode_html
from ingest.loaders import load_file
from tests.budget import within
from tests.conftest import SHARED

BODY = "Le café de la place a rouvert lundi, après trois mois de travaux décidés par la mairie. " * 5


def page(meta: str, body: str = BODY) -> str:
    return (f"<html><head>{meta}<title>Café</title></head><body><article><h1>Café rouvert</h1><p>{body}</p>"
            "</article></body></html>")


@pytest.mark.parametrize("meta", [
    pytest.param('<meta charset="iso-8859-1">', id="meta-charset"),
    pytest.param('<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', id="http-equiv"),
])
def test_latin1_page_is_read_by_its_declared_charset(tmp_path: Path, meta: str) -> None:
    path = tmp_path / "cafe.html"
    path.write_bytes(page(meta).encode("iso-8859-1"))
    article = next(iter(load_file(path)))
    assert not isinstance(article, ArticleParseError), article
    assert "Le café de la place" in article.body


def test_a_latin1_declaration_on_utf8_bytes_reads_utf8() -> None:
    raw = page('<meta charset="iso-8859-1">').encode("utf-8")
    assert declared_charset(raw) == "iso-8859-1"
    assert "café" in decode_html(raw, "x.html") and "cafÃ©" not in decode_html(raw, "x.html")


def test_undeclared_windows1252_page_is_detected() -> None:
    raw = page("", BODY + " “Quoted” — dashes.").encode("windows-1252")
    assert "“Quoted”" in decode_html(raw, "x.html")


def test_bom_and_xml_declaration() -> None:
    assert declared_charset(b"\xef\xbb\xbf<html>") == "utf-8-sig"
    assert declared_charset(b'<?xml version="1.0" encoding="ISO-8859-1"?><html>') == "iso-8859-1"


def test_plain_text_not_utf8_says_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café opens\nThe café opened.".encode("latin-1"))
    with pytest.raises(ArticleParseError, match=r"not valid UTF-8 \(byte 3\); save it as UTF-8 \(e\.g\. iconv"):
        read_article_file(path)


REALWEB = SHARED / "data" / "realweb"


@pytest.mark.skipif(not REALWEB.exists(), reason=f"no real-web pages at {REALWEB}")
@pytest.mark.parametrize("name", ["cnn.com--democrats-social-security.html", "cnet.com--verizon-ipad-tv-app.html",
                                  "reuters.com--airasia-bodies-debris.html"])
def test_real_pages_with_misleading_or_missing_declarations(name: str) -> None:
    expected = json.loads((REALWEB / "expected.json").read_text(encoding="utf-8"))["pages"][name]
    raw = (REALWEB / "pages" / name).read_bytes()
    text = decode_html(raw, name)
    assert text == raw.decode(expected["charset"]), name


@pytest.mark.fuzz
@given(st.binary(max_size=3000), st.sampled_from([None, "utf-8", "iso-8859-1", "bogus-charset", "utf-16"]))
def test_decode_html_is_total_and_fast(raw: bytes, charset: str | None) -> None:
    with contextlib.suppress(ArticleParseError):  # the documented error
        within(2.0, decode_html, raw, "fuzz.html", charset)


@pytest.mark.fuzz
@given(st.text(alphabet=st.sampled_from("<meta charset=\"' x?>ml"), max_size=5000))
def test_charset_sniffing_is_linear_on_floods(text: str) -> None:
    within(2.0, declared_charset, text.encode())
