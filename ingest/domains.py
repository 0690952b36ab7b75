"""Host and registrable-domain helpers, offline (tldextract with its bundled public-suffix snapshot).

Every function here is total: text from articles, feeds and stored records is hostile (``Foo [Bar.com``,
NFKC-invalid netlocs, 300-character labels), and a bad host is reported as None, never as an exception.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # imported on first use: it brings requests and urllib3, which `ask` and `sources` never use (#16)
    import tldextract

#: One ASCII label as DNS allows it (RFC 1035 letters, digits, hyphens; RFC 1123 lets it start with a digit).
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_MAX_HOST = 253
#: The longest outlet name kept: enough for "The Times of India (Economic Times edition)", short of a paragraph.
MAX_OUTLET_NAME = 120


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    import tldextract

    # No suffix-list URLs and no cache dir: tldextract uses the snapshot inside the wheel and never fetches.
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())


def valid_host(host: str) -> str | None:
    """``host`` lower-cased (Unicode labels kept) when it is a real DNS host name, else None.

    Checked on its IDNA (punycode) form: each label 1-63 letters, digits or inner hyphens, 253 in all.
    So ``foo[bar.com``, ``a..b``, ``-x.com`` and 64-character labels are refused.
    """
    if not isinstance(host, str) or not host or len(host) > 4 * _MAX_HOST:
        return None
    host = host.lower().rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii")  # nameprep (NFKC, case folding), then punycode
        unicode_host = ascii_host.encode("ascii").decode("idna")
    except (UnicodeError, ValueError):
        return None
    labels = ascii_host.lower().split(".")
    if len(ascii_host) > _MAX_HOST or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return unicode_host.lower()


def host_of(url_or_host: str) -> str | None:
    """Lower-case host of a URL or bare host name, without ``www.`` and port; None when there is none or it is
    not a valid host name (never raises)."""
    if not isinstance(url_or_host, str):
        return None
    text = url_or_host.strip()
    if not text:
        return None
    try:
        netloc = urlsplit(text if "//" in text else "//" + text).hostname
    except ValueError:  # "Invalid IPv6 URL" for a stray "[", or a netloc that changes under NFKC
        return None
    host = valid_host(netloc) if netloc else None
    return host[4:] if host and host.startswith("www.") else host


def registrable_domain(url_or_host: str) -> str | None:
    """``https://news.bbc.co.uk/x`` → ``bbc.co.uk``; hosts under unknown suffixes (``.example``) stay whole."""
    host = host_of(url_or_host)
    if host is None:
        return None
    try:
        extracted = _extractor()(host)
    except ValueError:  # tldextract on an odd but valid host: the host itself is the best answer
        return host
    return extracted.top_domain_under_public_suffix or host


def parent_hosts(host: str) -> list[str]:
    """``a.b.rt.com`` → ``[a.b.rt.com, b.rt.com, rt.com]``: the candidates for a registry lookup."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [host]


def outlet_name(text: object) -> str | None:
    """An outlet name as stored and shown: control and invisible characters dropped, white space collapsed,
    at most ``MAX_OUTLET_NAME`` characters; None when nothing printable is left (or it is not text)."""
    if not isinstance(text, str):
        return None
    kept = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    name = " ".join(kept.split())[:MAX_OUTLET_NAME].strip()
    return name or None
