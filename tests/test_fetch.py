"""Fetcher against a real HTTP server on 127.0.0.1 (``tests/local_http.py``)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from bot.settings import BotSettings
from ingest.fetch import Fetcher, FetchError
from tests.local_http import LocalHTTPServer

HTML = b"<!doctype html><html><head><title>News</title></head><body><p>Story.</p></body></html>"
RSS = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Feed</title></channel></rss>'
ATOM = b'<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>Feed</title></feed>'


def make_fetcher(**overrides: Any) -> Fetcher:
    options: dict[str, Any] = {"timeout": 2.0, "max_bytes": 10_000, "user_agent": "newsdesk/test"}
    return Fetcher(**(options | overrides))


def test_fetches_html_page(http_server: LocalHTTPServer, settings: BotSettings) -> None:
    http_server.add("/story", HTML, content_type="Text/HTML; charset=UTF-8")
    with Fetcher.from_settings(settings) as fetcher:
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


def test_rejects_redirect_to_other_scheme(http_server: LocalHTTPServer) -> None:
    http_server.redirect("/page", "file:///etc/passwd")
    with make_fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(http_server.url("/page"))

    assert str(caught.value) == "only http and https URLs are supported", f"message was {caught.value!r}"


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
