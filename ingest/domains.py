"""Host and registrable-domain helpers, offline (tldextract with its bundled public-suffix snapshot)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import tldextract


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # No suffix-list URLs and no cache dir: tldextract uses the snapshot inside the wheel and never fetches.
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())


def host_of(url_or_host: str) -> str | None:
    """Lower-case host of a URL or bare host name, without ``www.`` and port; None when there is none."""
    text = url_or_host.strip()
    if not text:
        return None
    netloc = urlsplit(text if "//" in text else "//" + text).hostname
    if not netloc:
        return None
    host = netloc.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def registrable_domain(url_or_host: str) -> str | None:
    """``https://news.bbc.co.uk/x`` → ``bbc.co.uk``; hosts under unknown suffixes (``.example``) stay whole."""
    host = host_of(url_or_host)
    if host is None:
        return None
    extracted = _extractor()(host)
    return extracted.top_domain_under_public_suffix or host


def parent_hosts(host: str) -> list[str]:
    """``a.b.rt.com`` → ``[a.b.rt.com, b.rt.com, rt.com]``: the candidates for a registry lookup."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [host]
