"""Syndication footers: find the credit lines that say who originally published a republished article.

Each rule returns ``Evidence`` (rule name and the matched text) and the outlets it names, so that a
reader can see why a passage is attributed to an outlet. Patterns: shared/notes/syndication-patterns.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.domains import host_of
from ingest.types import Evidence, OutletRef

_URL = r"https?://[^\s,;)]+"
_DOMAIN = r"[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"


@dataclass(frozen=True, slots=True)
class FooterMatch:
    evidence: Evidence
    original: OutletRef | None
    publisher: OutletRef | None


def _ref_from_domain(text: str) -> OutletRef | None:
    """A site named by a URL or host. The full host is kept (``economictimes.indiatimes.com``): the registry
    resolves it through its parent domains, and shared domains must not merge unrelated sites."""
    host = host_of(text)
    return OutletRef(name=host, domain=host) if host else None


def _ref_from_name(text: str) -> OutletRef:
    name = text.strip().strip("\"'“”").rstrip(".")
    if re.fullmatch(_DOMAIN, name) or name.startswith("http"):
        return _ref_from_domain(name) or OutletRef(name=name)
    return OutletRef(name=name)


_COURTESY = re.compile(r"courtesy of,? and owned and copyrighted by,?\s+(" + _URL + ")", re.I)
_CONTACT = re.compile(r"please contact\s+(" + _DOMAIN + r")\b", re.I)
_APPEARED_FIRST = re.compile(r"The post (.+?) (?:first )?appeared first on (.+?)\.?\s*$", re.I | re.M)
_ORIGINALLY = re.compile(
    r"(?:This (?:article|story|post|report) )?(?:was )?(?:originally|first) (?:published|appeared) (?:by|on|in|at) ("
    + _URL + r"|[^.\n]+?)(?:\.\s|\.$|$|,| and )",
    re.I | re.M,
)


def match_footer(paragraph: str) -> FooterMatch | None:
    """The provenance a footer paragraph states, or None when it is not a known footer."""
    if m := _COURTESY.search(paragraph):
        contact = _CONTACT.search(paragraph)
        publisher = _ref_from_domain(contact.group(1)) if contact else None
        if publisher and contact:
            publisher = OutletRef(name=contact.group(1), domain=publisher.domain)
        return FooterMatch(Evidence("courtesy-copyright-footer", m.group(0)), _ref_from_domain(m.group(1)), publisher)
    if m := _APPEARED_FIRST.search(paragraph):
        return FooterMatch(Evidence("appeared-first-on", m.group(0)), _ref_from_name(m.group(2)), None)
    if (m := _ORIGINALLY.search(paragraph)) and len(paragraph) < 400:
        return FooterMatch(Evidence("originally-published", m.group(0).strip()), _ref_from_name(m.group(1)), None)
    return None


def split_footer(paragraphs: list[str]) -> tuple[list[str], list[FooterMatch], list[str]]:
    """Separate trailing footer paragraphs from the body: (body paragraphs, matches, footer paragraphs)."""
    body = list(paragraphs)
    matches: list[FooterMatch] = []
    footer: list[str] = []
    while body and (found := match_footer(body[-1])):
        matches.insert(0, found)
        footer.insert(0, body.pop())
    return body, matches, footer


def publisher_from_url(url: str | None) -> OutletRef | None:
    """The site an article was taken from, by the registrable domain of its URL."""
    if not url or not host_of(url):
        return None
    return _ref_from_domain(url)
