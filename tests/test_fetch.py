"""Fetcher against a real HTTP server on 127.0.0.1 (``tests/local_http.py``)."""

from __future__ import annotations

import contextlib
import encodings.aliases
import gzip
import socket
import tracemalloc
from collections.abc import Callable, Iterator
from functools import cache
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import BotSettings
from ingest.fetch import Fetcher, FetchError
from ingest.loaders import load_url
from ingest.public_addresses import allow_any_address, is_public_address
from ingest.types import Article
from tests.budget import within
from tests.local_http import FakeResolver, LocalHTTPServer, RawResponseServer

HTML = b"<!doctype html><html><head><title>News</title></head><body><p>Story.</p></body></html>"
RSS = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Feed</title></channel></rss>'
ATOM = b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>Feed</title></feed>'


def make_fetcher(**overrides: Any) -> Fetcher:
    """A fetcher for the local server: private addresses allowed (NEWSDESK_FETCH_ALLOW_PRIVATE=true)."""
    options: dict[str, Any] = {
        "timeout": 2.0, "max_bytes": 10_000, "user_agent": "newsdesk/test", "allowed_address": allow_any_address,
    }
    return Fetcher(**(options | overrides))


def test_fetches_html_page(http_server: LocalHTTPServer, settings: BotSettings) -> None:
    http_server.add("/story", HTML, content_type="Text/HTML; charset=UTF-8")
    with Fetcher.from_settings(settings.model_copy(update={"fetch_allow_private": True})) as fetcher:
        doc = fetcher.fetch(http_server.url("/story?utm_source=x"))

    assert doc.content_type == "text/html", f"media type should be lower-cased without parameters: {doc!r}"
    assert doc.charset == "utf-8", f"charset should come from the header: {doc!r}"
    assert doc.body == HTML, "body should arrive unchanged"
    assert doc.url == doc.requested_url == http_server.url("/story?utm_source=x"), f"no redirect expected: {doc!r}"
    [request] = http_server.requests
    assert request.headers["user-agent"].startswith("newsdesk/"), f"User-Agent was {request.headers['user-agent']!r}"
    assert "text/html" in request.headers["accept"], f"Accept was {request.headers['accept']!r}"


def test_follows_redirect(http_server: LocalHTTPServer) -> None:
    http_server.redirect("/old", "/new", status=301)
    http_server.add("/new", HTML)
    with make_fetcher() as fetcher:
        doc = fetcher.fetch(http_server.url("/old"))

    assert doc.requested_url == http_server.url("/old"), f"requested URL should be kept: {doc!r}"
    assert doc.url == http_server.url("/new"), f"url should be the final one: {doc!r}"
    assert [r.path for r in http_server.requests] == ["/old", "/new"], "one request per hop expected"


def test_gives_up_on_redirect_loop(http_server: LocalHTTPServer) -> None:
    http_server.redirect("/loop", "/loop")
    with make_fetcher(max_redirects=2) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(http_server.url("/loop"))

    assert str(caught.value) == "too many redirects (more than 2)", f"message was {caught.value}"
    assert len(http_server.requests) == 3, f"the first request and 2 redirects, got {http_server.requests}"


@pytest.mark.parametrize(
    ("route", "options", "message"),
    [
        pytest.param({"status": 404}, {}, "HTTP 404 Not Found", id="not-found"),
        pytest.param({"status": 503}, {}, "HTTP 503 Service Unavailable", id="server-error"),
        pytest.param({"delay": 2.0}, {"timeout": 0.3}, "timed out after 0.3 s", id="timeout"),
        pytest.param(
            # Every read arrives within the 0.2 s timeout, but the whole body would take 6 s.
            {"body": b"<p>" + b"x" * 960 + b"</p>", "content_type": "text/html", "chunked": True, "trickle": 0.1},
            {"timeout": 0.2},
            "download took longer than 0.8 s",
            id="trickle",
        ),
        pytest.param(
            {"body": b"tiny", "headers": {"Content-Length": "10000000"}},
            {"max_bytes": 1500},
            "response is larger than the 1.5 kB limit",
            id="declared-too-large",
        ),
        pytest.param(
            {"body": b"x" * 200_000, "content_type": "text/plain", "chunked": True},
            {"max_bytes": 10_000},
            "response is larger than the 10 kB limit",
            id="streamed-too-large",
        ),
        pytest.param(
            {"body": b"\x89PNG\r\n", "content_type": "image/png"},
            {},
            "content type image/png is not a web page, feed or JSON",
            id="image",
        ),
        pytest.param(
            {"body": b"\x89PNG\r\n", "content_type": None},
            {},
            "content type is missing and the response is not a web page, feed or JSON",
            id="unsniffable",
        ),
    ],
)
def test_fetch_errors(
    http_server: LocalHTTPServer, route: dict[str, Any], options: dict[str, Any], message: str
) -> None:
    http_server.add("/page", **({"body": HTML} | route))
    with make_fetcher(**options) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(http_server.url("/page"))

    assert str(caught.value) == message, f"message was {caught.value!r}"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("file:///etc/passwd", id="file"),
        pytest.param("ftp://127.0.0.1:{port}/page", id="ftp"),
        pytest.param("data:text/html,<p>hi</p>", id="data"),
        pytest.param("javascript:fetch('http://127.0.0.1:{port}/page')", id="javascript"),
        pytest.param("127.0.0.1:{port}/page", id="no-scheme"),
        pytest.param("/page", id="relative"),
    ],
)
def test_rejects_non_http_urls_before_any_request(http_server: LocalHTTPServer, url: str) -> None:
    http_server.add("/page", HTML)
    with make_fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(url.format(port=http_server.server_address[1]))

    assert str(caught.value) == "only http and https URLs are supported", f"message was {caught.value!r}"
    assert http_server.requests == [], f"nothing should reach the server: {http_server.requests}"


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x"])
def test_rejects_redirect_to_other_scheme(http_server: LocalHTTPServer, target: str) -> None:
    http_server.redirect("/page", target)
    with make_fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(http_server.url("/page"))

    assert str(caught.value) == "only http and https URLs are supported", f"message was {caught.value!r}"
    assert [r.path for r in http_server.requests] == ["/page"], "the redirect must not be followed"


def test_connection_refused() -> None:
    with socket.socket() as sock:  # bind, then close: a loopback port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with make_fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(f"http://127.0.0.1:{port}/")

    assert str(caught.value).startswith("cannot connect: "), f"message was {caught.value!r}"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(HTML, "text/html", id="html"),
        pytest.param(b"\xef\xbb\xbf\n  <html><body>hi</body></html>", "text/html", id="html-bom"),
        pytest.param(RSS, "application/rss+xml", id="rss"),
        pytest.param(ATOM, "application/atom+xml", id="atom"),
        pytest.param(b'<?xml version="1.0"?><sitemap/>', "application/xml", id="xml"),
        pytest.param(b'{"items": []}', "application/json", id="json-object"),
        pytest.param(b"  [1, 2]", "application/json", id="json-array"),
    ],
)
def test_sniffs_missing_content_type(http_server: LocalHTTPServer, body: bytes, expected: str) -> None:
    http_server.add("/doc", body, content_type=None)
    with make_fetcher() as fetcher:
        doc = fetcher.fetch(http_server.url("/doc"))

    assert doc.content_type == expected, f"sniffed {doc.content_type!r} from {body[:40]!r}"
    assert doc.charset is None, "no header, so no charset"
    assert doc.body == body, "sniffing must not alter the body"


# --- Hostile servers (#10): compression bombs, bogus charsets, broken responses ---------------------------


@cache
def zeros_gzip(size: int) -> bytes:
    """A gzip member of ``size`` zero bytes, about 1,000 times smaller than what it decodes to."""
    return gzip.compress(bytes(size), compresslevel=9)


def peak_memory_of(function: Callable[[], object]) -> int:
    """Bytes allocated at the peak while ``function`` ran (it must raise ``FetchError``)."""
    tracemalloc.start()
    try:
        with pytest.raises(FetchError):
            function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("body", "encoding", "message"),
    [
        # 16 MB of zeros, gzipped twice: a few hundred bytes on the wire (the 3.4 kB reached 4.4 GB).
        pytest.param(lambda: gzip.compress(zeros_gzip(16_000_000)), "gzip, gzip",
                     "stacked content encodings (gzip, gzip) are not supported", id="gzip-of-gzip"),
        pytest.param(lambda: zeros_gzip(16_000_000), "gzip",
                     "response is larger than the 100 kB limit", id="gzip-bomb"),
        # The magic numbers of zstd and brotli frames; what follows is never read.
        pytest.param(lambda: b"\x28\xb5\x2f\xfd" + bytes(4000), "zstd",
                     "content encoding 'zstd' is not supported (only gzip)", id="zstd"),
        pytest.param(lambda: b"\x0b\x02\x80" + bytes(4000), "br",
                     "content encoding 'br' is not supported (only gzip)", id="br"),
    ],
)
def test_compression_bombs_fail_alone_with_little_memory(
    http_server: LocalHTTPServer, body: Callable[[], bytes], encoding: str, message: str
) -> None:
    http_server.add("/bomb", body(), headers={"Content-Encoding": encoding})
    http_server.add("/fine", HTML)
    with make_fetcher(max_bytes=100_000) as fetcher:
        peak = peak_memory_of(lambda: fetcher.fetch(http_server.url("/bomb")))
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(http_server.url("/bomb"))
        after = fetcher.fetch(http_server.url("/fine"))

    assert str(caught.value) == message, f"message was {caught.value!r}"
    # httpx's own decoding turned each 64 kB read of the bomb into 64 MB before any check could run.
    assert peak < 4_000_000, f"fetching the bomb under a 100 kB limit peaked at {peak:,} bytes"
    assert after.body == HTML, "the next fetch works as usual"
    assert http_server.requests[0].headers["accept-encoding"] == "gzip, identity", "only what we can bound"


def test_gzip_body_is_decoded(http_server: LocalHTTPServer) -> None:
    http_server.add("/page", gzip.compress(HTML), headers={"Content-Encoding": "gzip"})
    with make_fetcher() as fetcher:
        doc = fetcher.fetch(http_server.url("/page"))
    assert doc.body == HTML, "a gzip body arrives decoded"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        pytest.param("text/html; charset=punycode", None, id="punycode"),
        pytest.param("text/html; charset=idna", None, id="idna"),
        pytest.param("text/html; charset=rot13", None, id="rot13"),
        pytest.param("text/html; charset=base64", None, id="base64"),
        pytest.param("text/html; charset=utf-7", None, id="utf-7"),
        pytest.param("text/html; charset=x-no-such-charset", None, id="unknown"),
        pytest.param('text/html; charset="windows-1252"', "windows-1252", id="quoted-windows-1252"),
        pytest.param("text/html; charset=Shift_JIS", "shift_jis", id="shift-jis"),
        pytest.param("text/html; charset=ISO-8859-1", "iso-8859-1", id="latin-1"),
    ],
)
def test_only_web_charsets_are_passed_on(http_server: LocalHTTPServer, content_type: str, expected: str | None) -> None:
    http_server.add("/page", HTML, content_type=content_type)
    with make_fetcher() as fetcher:
        doc = fetcher.fetch(http_server.url("/page"))
    assert doc.charset == expected, f"{content_type!r} gave charset {doc.charset!r}"


def test_punycode_page_ingests_as_utf8(http_server: LocalHTTPServer) -> None:
    story = "Le café ouvre ses portes ce matin, après deux ans de travaux, sur la place du marché. " * 3
    page = f"<html><head><title>Café</title></head><body><p>{story}</p></body></html>"
    http_server.add("/page", page.encode(), content_type="text/html; charset=punycode")
    with make_fetcher() as fetcher:
        [article] = list(load_url(http_server.url("/page"), fetcher))
    assert isinstance(article, Article) and "café" in article.body, f"read as UTF-8: {article!r}"


_STATUS = st.one_of(  # mostly 200: a body is read only after a success
    st.just(b"200 OK"),
    st.sampled_from([b"301 Moved", b"302 Found", b"404 Not Found", b"500 Oops", b"999 What", b"103 Early Hints",
                     b"abc", b""]),
)
_CHARSETS = st.sampled_from(["utf-8", "punycode", "idna", "rot13", "utf-7", "hex", "x-nope", '"', ""])
_TYPES = st.sampled_from(["text/html", "application/rss+xml", "application/json", "image/png", "", ";;;"])
_ENCODINGS = st.lists(st.sampled_from(["gzip", "x-gzip", "br", "zstd", "deflate", "identity", "compress", "qq"]),
                      max_size=3).map(", ".join)
_LOCATIONS = st.sampled_from(["/", "http://127.0.0.1:1/", "http://[::1]:1/", "http://10.0.0.1/", "file:///etc/passwd",
                              "data:,hi", "//unresolvable.test/", "http://[", "http://a b/", "https://%zz/", "ht!tp://x"])
_HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=40)
_HEADERS = st.lists(
    st.one_of(
        st.tuples(st.just("Content-Type"), st.builds(lambda t, c: f"{t}; charset={c}", _TYPES, _CHARSETS)),
        st.tuples(st.just("Content-Encoding"), _ENCODINGS),
        st.tuples(st.just("Content-Length"), st.one_of(st.integers(-5, 10**20).map(str), _HEADER_TEXT)),
        st.tuples(st.just("Location"), st.one_of(_LOCATIONS, _HEADER_TEXT)),
        st.tuples(st.just("Transfer-Encoding"), st.sampled_from(["chunked", "gzip, chunked", "identity", "x"])),
        st.tuples(_HEADER_TEXT, _HEADER_TEXT),
    ),
    max_size=6,
)
_BODIES = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=2000).map(gzip.compress),
    st.just(b"5\r\nhello\r\nzz\r\n"),  # broken chunked framing
    st.builds(lambda: zeros_gzip(1_000_000)),
)


# Every codec Python knows by some name, web encodings or not: a server may name any of them.
_PYTHON_CODECS = sorted(set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values()))


def _response(status: bytes, headers: list[tuple[str, str]], body: bytes) -> bytes:
    head = b"HTTP/1.1 " + status + b"\r\n"
    head += b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers)
    return head + b"\r\n" + body


@pytest.mark.fuzz
def test_hostile_server_gives_a_document_or_one_fetch_error() -> None:
    """Whatever a server sends back, fetch returns a bounded body or raises FetchError with one line."""
    fetcher = make_fetcher(timeout=1.0, allowed_address=lambda address: address.is_loopback,
                           resolver=lambda host, port: [])

    @given(status=_STATUS, headers=_HEADERS, body=_BODIES)
    def check(status: bytes, headers: list[tuple[str, str]], body: bytes) -> None:
        raw_server.response = _response(status, headers, body)
        try:
            doc = within(8.0, fetcher.fetch, raw_server.url("/page"))
        except FetchError as error:
            message = str(error)
            assert message and "\n" not in message and "\r" not in message, f"not one line: {message!r}"
            assert len(message) <= 300, f"too long for one line: {message!r}"
            return
        assert len(doc.body) <= 10_000, f"a {len(doc.body)}-byte body passed the 10 kB limit"
        # The charset passed on is a real text encoding: bad bytes are the only way decoding can fail.
        with contextlib.suppress(UnicodeDecodeError):
            within(2.0, doc.body.decode, doc.charset or "utf-8")

    with RawResponseServer() as raw_server, fetcher:
        check()


# --- Server-side request forgery (#10): private addresses, checked at every connection -------------------


def only_127_0_0_1_or_public(address: IPv4Address | IPv6Address) -> bool:
    """A policy that treats the local test server (127.0.0.1) as a public site and everything else as usual."""
    return str(address) == "127.0.0.1" or is_public_address(address)


@pytest.fixture
def second_server() -> Iterator[LocalHTTPServer]:
    """Another loopback "machine" (127.0.0.2) for redirects and links that must not be followed."""
    with LocalHTTPServer("127.0.0.2") as server:
        yield server


def refused(where: str) -> str:
    return (f"refusing to fetch from the private or reserved address {where}; "
            "set NEWSDESK_FETCH_ALLOW_PRIVATE=true to allow it")


def test_default_settings_refuse_the_local_server(http_server: LocalHTTPServer, settings: BotSettings) -> None:
    http_server.add("/admin", HTML)
    with Fetcher.from_settings(settings) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(http_server.url("/admin"))

    assert str(caught.value) == refused("127.0.0.1"), f"message was {caught.value!r}"
    assert http_server.requests == [], "the check comes before the connection"


@pytest.mark.parametrize(
    ("url", "where"),
    [
        pytest.param("http://[::1]:8080/", "::1", id="v6-loopback"),
        # Not loopback: had any byte been sent, the test's network guard would have raised NetworkBlocked.
        pytest.param("http://169.254.169.254/latest/meta-data/", "169.254.169.254", id="cloud-metadata"),
        pytest.param("http://10.20.30.40/", "10.20.30.40", id="10/8"),
        pytest.param("https://192.168.1.1/", "192.168.1.1", id="192.168/16"),
        pytest.param("http://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254", id="v4-mapped"),
        pytest.param("http://intranet.test/", "intranet.test (10.1.1.1)", id="name-to-private"),
        pytest.param("http://mixed.test/", "mixed.test (192.168.7.7)", id="name-to-public-and-private"),
    ],
)
def test_private_addresses_are_refused_before_connecting(url: str, where: str) -> None:
    resolver = FakeResolver({"intranet.test": ["10.1.1.1"], "mixed.test": ["93.184.216.34", "192.168.7.7"]})
    with Fetcher(timeout=1.0, max_bytes=10_000, user_agent="t", resolver=resolver) as fetcher, \
            pytest.raises(FetchError) as caught:
        fetcher.fetch(url)

    assert str(caught.value) == refused(where), f"message was {caught.value!r}"


@pytest.mark.parametrize("host", ["0x7f000001", "2130706433", "127.1"])
def test_odd_spellings_of_loopback_are_refused(http_server: LocalHTTPServer, host: str) -> None:
    # The system resolver reads these as 127.0.0.1 (inet_aton), and its answer is what gets checked.
    http_server.add("/admin", HTML)
    with Fetcher(timeout=1.0, max_bytes=10_000, user_agent="t") as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(f"http://{host}:{http_server.server_address[1]}/admin")

    assert str(caught.value) == refused(f"{host} (127.0.0.1)"), f"message was {caught.value!r}"
    assert http_server.requests == [], "nothing reached the server"


def test_connects_to_the_address_it_checked(http_server: LocalHTTPServer) -> None:
    http_server.add("/story", HTML)
    resolver = FakeResolver({"news.test": ["127.0.0.1"]})  # the system's DNS has never heard of news.test
    port = http_server.server_address[1]
    with make_fetcher(resolver=resolver) as fetcher:
        doc = fetcher.fetch(f"http://news.test:{port}/story")

    assert doc.body == HTML, "the connection went to the address our resolver gave"
    assert resolver.asked == ["news.test"], "resolved once: the connection never asks again (no DNS rebinding)"
    assert http_server.requests[0].headers["host"] == f"news.test:{port}", "the Host header keeps the name"


@pytest.mark.parametrize(
    ("location", "where"),
    [
        pytest.param("http://127.0.0.2:{port}/secret", "127.0.0.2", id="loopback"),
        pytest.param("http://[::1]:{port}/secret", "::1", id="v6-loopback"),
        pytest.param("http://metadata.test/latest", "metadata.test (169.254.169.254)", id="name-to-metadata"),
    ],
)
def test_redirect_to_a_private_address_is_refused(
    http_server: LocalHTTPServer, second_server: LocalHTTPServer, location: str, where: str
) -> None:
    second_server.add("/secret", HTML)
    http_server.redirect("/page", location.format(port=second_server.server_address[1]))
    resolver = FakeResolver({"metadata.test": ["169.254.169.254"]})
    with make_fetcher(allowed_address=only_127_0_0_1_or_public, resolver=resolver) as fetcher, \
            pytest.raises(FetchError) as caught:
        fetcher.fetch(http_server.url("/page"))

    assert str(caught.value) == refused(where), f"message was {caught.value!r}"
    assert [r.path for r in http_server.requests] == ["/page"], "the allowed server was asked"
    assert second_server.requests == [], "the private one never was"


def test_redirect_between_allowed_addresses_is_followed(
    http_server: LocalHTTPServer, second_server: LocalHTTPServer
) -> None:
    second_server.add("/story", HTML)
    http_server.redirect("/page", second_server.url("/story"))
    with make_fetcher() as fetcher:  # allow_any_address, i.e. NEWSDESK_FETCH_ALLOW_PRIVATE=true
        doc = fetcher.fetch(http_server.url("/page"))
    assert doc.url == second_server.url("/story"), f"the redirect was followed: {doc!r}"


def test_feed_links_to_private_addresses_are_refused(
    http_server: LocalHTTPServer, second_server: LocalHTTPServer
) -> None:
    second_server.add("/internal-story", HTML)
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>
    <item><title>Teaser</title><link>{second_server.url("/internal-story")}</link>
    <description>Only a teaser.</description></item></channel></rss>"""
    http_server.add("/feed.rss", feed.encode(), content_type="application/rss+xml")
    with make_fetcher(allowed_address=only_127_0_0_1_or_public) as fetcher:
        [teaser] = list(load_url(http_server.url("/feed.rss"), fetcher))

    # The link is refused, and the entry keeps the feed's own text with a note saying why (nothing lost, #11).
    assert isinstance(teaser, Article) and teaser.body == "Only a teaser.", f"the feed's own text: {teaser!r}"
    [note] = [e.text for e in teaser.evidence if e.rule == "feed-text-only"]
    assert note.startswith("linked article from the feed: " + refused("127.0.0.2")), note
    assert second_server.requests == [], "nothing reached the private address"


@pytest.mark.fuzz
def test_any_declared_charset_is_safe_to_decode_with() -> None:
    """The charset a fetch passes on decodes any body, or fails with UnicodeDecodeError, which parsers expect."""
    fetcher = make_fetcher(timeout=1.0)

    @given(charset=st.one_of(st.sampled_from(_PYTHON_CODECS), _HEADER_TEXT.filter(lambda t: ";" not in t)),
           body=st.binary(min_size=1, max_size=500))
    def check(charset: str, body: bytes) -> None:
        raw_server.response = _response(b"200 OK", [("Content-Type", f"text/html; charset={charset}")], body)
        try:
            doc = within(8.0, fetcher.fetch, raw_server.url("/page"))
        except FetchError:
            return
        with contextlib.suppress(UnicodeDecodeError):
            within(2.0, doc.body.decode, doc.charset or "utf-8")

    with RawResponseServer() as raw_server, fetcher:
        check()
