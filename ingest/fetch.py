"""Download one web page, feed or JSON document over HTTP(S), within a time and size limit.

This is ingest's only network client. It returns the raw bytes with their media type and charset;
parsing is someone else's job. Every failure becomes a ``FetchError`` whose message is one line a
user can act on. Nothing is logged here, because URLs may carry secrets in their query strings.

Hostile servers are expected: the body is decoded by ``ingest.bounded_decode`` within the size limit
(compression bombs), and every connection, redirects included, goes through ``ingest.public_addresses``
(no private, loopback or link-local addresses unless allowed).
"""

from __future__ import annotations

import codecs
import re
import time
from contextlib import closing
from dataclasses import dataclass

import httpx

from ingest.bounded_decode import ACCEPT_ENCODING, DecodeError, TooLarge, content_coding, decode_bounded
from ingest.public_addresses import (
    AddressPolicy,
    BlockedAddress,
    CheckedTransport,
    Resolver,
    allow_any_address,
    is_public_address,
    system_resolver,
)
from ingest.settings import IngestSettings

_BODY_DEADLINE_FACTOR = 4
ACCEPTED_TYPES: frozenset[str] = frozenset(
    """text/html application/xhtml+xml text/plain
    application/rss+xml application/atom+xml application/rdf+xml application/xml text/xml
    application/json application/feed+json application/ld+json application/x-ndjson application/jsonl""".split()
)
# Preference order for servers that negotiate; the catch-all lets a server without our types still answer.
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,"
    "application/feed+json,application/json;q=0.8,text/plain;q=0.7,*/*;q=0.1"
)
_SNIFF_BYTES = 1024
# The encodings of the WHATWG Encoding Standard, which is what browsers accept in a charset parameter.
# Anything else a server names (punycode, idna, rot13, utf-7, base64 ...) is a Python codec that is no web
# page's encoding, some slow or crashing on arbitrary bytes, so it is dropped and the body is read as UTF-8.
# SEE: https://encoding.spec.whatwg.org/#names-and-labels
_WEB_CODECS: frozenset[str] = frozenset(
    codecs.lookup(label).name
    for label in """utf-8 ibm866 iso-8859-1 iso-8859-2 iso-8859-3 iso-8859-4 iso-8859-5 iso-8859-6 iso-8859-7
    iso-8859-8 iso-8859-10 iso-8859-13 iso-8859-14 iso-8859-15 iso-8859-16 koi8-r koi8-u mac-roman cp874 cp1250
    cp1251 cp1252 cp1253 cp1254 cp1255 cp1256 cp1257 cp1258 mac-cyrillic gbk gb2312 gb18030 big5 euc-jp
    iso-2022-jp shift_jis euc-kr utf-16 utf-16-be utf-16-le ascii""".split()
)
_MAX_REASON_CHARS = 200


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """The body of a successful fetch and what the server said it is."""

    requested_url: str
    url: str  # final URL after redirects
    content_type: str  # lower-case media type without parameters, e.g. "text/html"
    charset: str | None  # from the Content-Type header, if any
    body: bytes


class FetchError(Exception):
    """A URL could not be fetched; ``str(error)`` is one clear line for the user, e.g. ``HTTP 404 Not Found``."""


class Fetcher:
    """Fetches URLs with one pooled ``httpx.Client``; use it as a context manager or call ``close()``."""

    def __init__(
        self,
        *,
        timeout: float,
        max_bytes: int,
        user_agent: str,
        max_redirects: int = 5,
        allowed_address: AddressPolicy = is_public_address,
        resolver: Resolver = system_resolver,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """Set up the client.

        Args:
            timeout: Seconds allowed for connecting and for each read (httpx applies it per operation).
            max_bytes: Largest decoded body accepted; larger responses are abandoned mid-stream.
            user_agent: Sent as ``User-Agent``; site operators use it to tell who is fetching.
            max_redirects: Redirects followed before giving up.
            allowed_address: Which resolved addresses may be connected to; by default public ones only
                (``allow_any_address`` is ``NEWSDESK_FETCH_ALLOW_PRIVATE=true``).
            resolver: Host name to addresses; the system's by default.
            transport: Replaces the network transport, and with it the address check (``allowed_address``
                and ``resolver`` are then unused), e.g. ``httpx.MockTransport`` in tests.
        """
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        # Redirects are followed by hand in ``_send``: httpx's own following reads each redirect
        # body in full, with no size limit. SEE: httpx/_client.py ``_send_handling_redirects``.
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
            transport=transport or CheckedTransport(resolver=resolver, allowed=allowed_address),
        )

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> Fetcher:
        """Build a fetcher with the timeout, size limit, User-Agent and address rule from ``settings``."""
        return cls(
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            user_agent=settings.user_agent,
            allowed_address=allow_any_address if settings.fetch_allow_private else is_public_address,
        )

    def fetch(self, url: str) -> FetchedDocument:
        """Download ``url`` and return its body.

        Raises:
            FetchError: The URL is not http(s), its host is a private address (unless allowed), the server
                failed or refused, or the response is too slow, too large, oddly encoded or not a web page,
                feed or JSON. It is the only exception a server can cause, however hostile.
        """
        _check_url(url)
        try:
            with closing(self._send(url)) as response:
                return self._read(url, response)
        except (BlockedAddress, DecodeError) as exc:
            raise FetchError(_one_line(str(exc))) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {self._timeout:g} s") from exc
        except httpx.UnsupportedProtocol as exc:  # a redirect to another scheme
            raise FetchError("only http and https URLs are supported") from exc
        except httpx.ConnectError as exc:
            raise FetchError(_one_line(f"cannot connect: {exc}")) from exc
        except httpx.InvalidURL as exc:
            raise FetchError(_one_line(f"invalid URL: {exc}")) from exc
        # The rest of what a misbehaving server can make httpx or the socket raise: broken HTTP framing,
        # a Location header that is no URL, an undecodable header, a reset connection.
        except (httpx.HTTPError, httpx.StreamError, OSError, UnicodeError) as exc:
            raise FetchError(_one_line(f"network error: {str(exc) or type(exc).__name__}")) from exc

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, url: str) -> httpx.Response:
        """Send GET and follow up to ``max_redirects`` redirects; the caller closes the streamed response."""
        request = self._client.build_request("GET", url)
        for _ in range(self._max_redirects + 1):
            _check_url(str(request.url))  # each hop: no file:, ftp:, data: (the address check is at connect)
            response = self._client.send(request, stream=True)
            if response.next_request is None:
                return response
            response.close()  # the redirect's body is never read
            request = response.next_request
        raise FetchError(f"too many redirects (more than {self._max_redirects})")

    def _read(self, requested_url: str, response: httpx.Response) -> FetchedDocument:
        if not response.is_success:
            reason = response.reason_phrase or httpx.codes.get_reason_phrase(response.status_code)
            raise FetchError(_one_line(f"HTTP {response.status_code} {reason}"))
        declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
        # Checked before the body is read, so an image or video is never downloaded.
        if declared and declared not in ACCEPTED_TYPES:
            raise FetchError(f"content type {declared} is not a web page, feed or JSON")
        # Content-Length counts encoded bytes and the limit decoded ones; a compressed body only grows
        # when decoded, so a declared length over the limit means the body is over it too.
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self._max_bytes:
            raise self._too_large()
        coding = content_coding(response.headers.get("content-encoding", ""))  # refused before the body is read
        body = self._read_body(response, coding)
        content_type = declared or _sniff(body)
        if content_type is None:
            raise FetchError("content type is missing and the response is not a web page, feed or JSON")
        return FetchedDocument(requested_url, str(response.url), content_type, _web_charset(response), body)

    def _read_body(self, response: httpx.Response, coding: str) -> bytes:
        body = bytearray()
        # httpx's timeout is per read, so a server trickling a byte at a time could hold us forever:
        # the whole body gets a deadline of its own.
        deadline = time.monotonic() + _BODY_DEADLINE_FACTOR * self._timeout
        # iter_raw, not iter_bytes: httpx would decode gzip, br and zstd with no limit on the decoded size.
        try:
            for piece in decode_bounded(response.iter_raw(), coding, self._max_bytes):
                body += piece
                if time.monotonic() > deadline:
                    raise FetchError(f"download took longer than {_BODY_DEADLINE_FACTOR * self._timeout:g} s")
        except TooLarge:  # stop now: the rest is never downloaded nor decoded
            raise self._too_large() from None
        return bytes(body)

    def _too_large(self) -> FetchError:
        return FetchError(f"response is larger than the {_format_size(self._max_bytes)} limit")


def _check_url(url: str) -> None:
    """Reject before any I/O what must never reach the network: file://, javascript:, relative URLs."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL: {exc}") from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError("only http and https URLs are supported")
    if not parsed.host:
        raise FetchError("the URL has no host name")


def _web_charset(response: httpx.Response) -> str | None:
    """The declared charset, lower-cased, if it is a web encoding; None (read as UTF-8) for none or a bogus one."""
    try:
        declared = response.charset_encoding
        if declared and codecs.lookup(declared).name in _WEB_CODECS:
            return declared.lower()
    except (LookupError, ValueError):  # an unknown name, or one with a NUL byte
        pass
    return None


def _one_line(text: str) -> str:
    """Server-supplied text made safe for a one-line message: whitespace and control characters collapsed, cut short."""
    line = re.sub(r"[\s\x00-\x1f\x7f]+", " ", text).strip()
    return line if len(line) <= _MAX_REASON_CHARS else line[: _MAX_REASON_CHARS - 1] + "…"


def _sniff(body: bytes) -> str | None:
    """Guess the media type of a body served without Content-Type; None when it is none we accept."""
    head = body[:_SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith(b"<"):
        # Feeds first: their root element comes early, while an HTML page rarely contains "<rss".
        if b"<rss" in head or b"<rdf:rdf" in head:
            return "application/rss+xml"
        if b"<feed" in head:
            return "application/atom+xml"
        if head.startswith(b"<?xml") and b"<html" not in head:
            return "application/xml"
        return "text/html"
    if head[:1] in (b"{", b"["):
        return "application/json"
    return None


def _format_size(num_bytes: int) -> str:
    """Decimal units, as in the settings' defaults: 5_000_000 -> "5 MB", 1500 -> "1.5 kB"."""
    if num_bytes >= 1_000_000:
        return f"{num_bytes / 1_000_000:g} MB"
    if num_bytes >= 1_000:
        return f"{num_bytes / 1_000:g} kB"
    return f"{num_bytes} bytes"
