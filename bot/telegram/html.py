"""Telegram-HTML messages built from styled spans, split at Telegram's length limit without cutting a tag or an entity.

A message is a list of ``Span`` values: plain text plus at most one style (bold, italic, code or a link).
Text is escaped only when a span is turned into HTML, so article and model text can never open a tag, and
splitting works on the plain text, so a cut can never fall inside ``<b>`` or ``&amp;``: each piece of a span
that straddles a cut is wrapped in its own tags.

Telegram counts the limit after parsing the entities, in UTF-16 code units (an emoji outside the BMP counts 2).
SEE: https://core.telegram.org/bots/api#formatting-options and #sendmessage.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

#: ``telegram.constants.MessageLimit.MAX_TEXT_LENGTH``, repeated here so this module stays free of PTB.
MAX_TEXT_LENGTH = 4096
STYLES = ("", "b", "i", "code", "a")
_LINK_SCHEMES = ("http", "https")
# A lone surrogate cannot be encoded as UTF-8, so Telegram could never receive it.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# What may stay as it is in a URL's path, query and fragment: RFC 3986 unreserved and reserved characters, less
# "'" (Telegram's HTML knows few entities, so nothing that needs one in an attribute is kept) and "#" (one only, the
# fragment's own). Everything else, a space, '"', "<", ">", non-ASCII, is percent-encoded as UTF-8.
# SEE: https://www.rfc-editor.org/rfc/rfc3986#section-2
_URL_SAFE = "/?:@!$&()*+,;=-._~%"
_STRAY_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text in one style; ``href`` only for links."""

    text: str
    style: str = ""
    href: str | None = None

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"unknown style {self.style!r}")
        if (self.style == "a") != (self.href is not None):
            raise ValueError("a link needs an href, and only a link has one")


def plain(text: str) -> Span:
    return Span(text)


def bold(text: str) -> Span:
    return Span(text, "b")


def italic(text: str) -> Span:
    return Span(text, "i")


def code(text: str) -> Span:
    return Span(text, "code")


def link(text: str, url: str | None) -> Span:
    """A link to an http(s) URL (see ``web_href``); anything else (no URL, ``javascript:``, a file path, a URL
    with no valid host) stays plain text."""
    href = web_href(url)
    return Span(text) if href is None else Span(text, "a", href)


def web_href(url: str | None) -> str | None:
    """``url`` as a valid http(s) URL, or None when it cannot be one: a stored article's URL may hold a space, quotes
    or angle brackets, and Telegram rejects the whole message over one bad href.

    ``https://ex.org/a b?q="x"`` → ``https://ex.org/a%20b?q=%22x%22``; an international host is IDNA-encoded
    (``bücher.de`` → ``xn--bcher-kva.de``); user info is dropped; existing percent-escapes are kept.
    """
    if not url:
        return None
    try:
        parts = urlsplit(valid_unicode(url).strip())
        host, port = parts.hostname, parts.port
        host = host.encode("idna").decode("ascii") if host else None
    except (ValueError, UnicodeError):  # an invalid IPv6 host or port; a host label IDNA cannot encode
        return None
    if parts.scheme.lower() not in _LINK_SCHEMES or not host or not re.fullmatch(r"[a-z0-9_.:-]+", host):
        return None
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port is not None else "")

    def encode(part: str) -> str:
        return quote(_STRAY_PERCENT.sub("%25", part), safe=_URL_SAFE)

    query = f"?{encode(parts.query)}" if parts.query else ""
    fragment = f"#{encode(parts.fragment)}" if parts.fragment else ""
    return f"{parts.scheme.lower()}://{netloc}{encode(parts.path)}{query}{fragment}"


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits: ``utf16_len("👍") == 2``."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def valid_unicode(text: str) -> str:
    """``text`` with each lone surrogate, which no UTF-8 encoder (Telegram's, the tokenizer's) accepts, as "\ufffd"."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def to_html(spans: Iterable[Span]) -> str:
    """Telegram HTML for ``spans``: every text escaped, every href escaped for a double-quoted attribute."""
    out = []
    for span in spans:
        text = html.escape(valid_unicode(span.text), quote=False)
        if span.style == "a":
            out.append(f'<a href="{html.escape(valid_unicode(span.href or ""), quote=True)}">{text}</a>')
        elif span.style:
            out.append(f"<{span.style}>{text}</{span.style}>")
        else:
            out.append(text)
    return "".join(out)


def _cut(text: str, start: int, limit: int) -> int:
    """The end of the piece that starts at ``start``: the last paragraph, line or word break that keeps the piece
    within ``limit`` UTF-16 units, or a hard cut at the limit when a single word is longer than half of it."""
    end = min(len(text), start + limit)  # every character is at least one unit
    units = utf16_len(text[start:end])
    while units > limit:  # astral characters count twice: drop characters until the piece fits
        end -= 1
        units -= 2 if ord(text[end]) > 0xFFFF else 1
    if end == len(text):
        return end
    window = text[start:end]
    for separator in ("\n\n", "\n", " "):
        at = window.rfind(separator)
        if at > len(window) // 2:  # breaking earlier would waste more than half a message
            return start + at + len(separator)
    return end


def split_spans(spans: Sequence[Span], limit: int = MAX_TEXT_LENGTH) -> list[list[Span]]:
    """Split ``spans`` into messages of at most ``limit`` UTF-16 units of text each, preferring paragraph,
    then line, then word breaks; whitespace at the cuts is dropped, and no message is empty."""
    text = "".join(span.text for span in spans)
    ranges = []
    start = 0
    while start < len(text):
        end = _cut(text, start, limit)
        first, last = start, end
        while first < last and text[first].isspace():
            first += 1
        while last > first and text[last - 1].isspace():
            last -= 1
        if first < last:
            ranges.append((first, last))
        start = end
    messages = []
    for first, last in ranges:
        pieces, offset = [], 0
        for span in spans:
            lo, hi = max(first, offset), min(last, offset + len(span.text))
            if lo < hi:
                pieces.append(Span(span.text[lo - offset : hi - offset], span.style, span.href))
            offset += len(span.text)
        messages.append(pieces)
    return messages


def render_messages(spans: Sequence[Span], limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """``spans`` as one or more Telegram-HTML messages, each within ``limit``."""
    return [to_html(piece) for piece in split_spans(spans, limit)]
