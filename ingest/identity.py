"""One outlet, one identity: the name a page gives its own site joined with that site's domain.

A page names its site in several places (``og:site_name``, the JSON-LD publisher, the title suffix) and
gives its address in others (the URL it was fetched from, ``og:url``, the canonical link). They describe
one outlet, so they are joined into one ``OutletRef`` rather than weighed against each other; only
evidence of a *different* outlet makes a page a copy (#11). Everything here is pure and bounded: names
and addresses longer than a few hundred characters are not names and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ingest.domains import host_of as _host_of
from ingest.domains import registrable_domain as _registrable_domain
from ingest.types import OutletRef

MAX_NAME_CHARS = 80
#: Site names that name a section, a country or a page, never an outlet (``og:site_name`` "U.S." on Reuters).
JUNK_SITE_NAMES = frozenset({
    "home", "homepage", "home page", "news", "latest news", "top stories", "world", "world news", "u.s.", "us",
    "u.s", "usa", "uk", "business", "politics", "sport", "sports", "tech", "technology", "science", "health",
    "opinion", "entertainment", "lifestyle", "video", "videos", "article", "articles", "blog", "index", "story",
    "stories", "local", "national", "breaking news", "en", "english", "front page", "main", "site", "website",
})
#: Hosts that serve other sites' pages: a canonical link there is the site's back-end, not another outlet.
HOSTING_DOMAINS = frozenset({
    "wordpress.com", "wpengine.com", "wpcomstaging.com", "blogspot.com", "pantheonsite.io", "herokuapp.com",
    "amazonaws.com", "cloudfront.net", "azurewebsites.net", "netlify.app", "vercel.app", "github.io",
    "arcpublishing.com", "brightspotcdn.com", "googleusercontent.com", "appspot.com", "web.app",
})


def host_of(text: str) -> str | None:
    """``ingest.domains.host_of`` for text from the web: an address that does not parse has no host."""
    try:
        return _host_of(text[:2000])
    except ValueError:  # urllib rejects hosts such as "[" (an unclosed IPv6 literal)
        return None


def registrable_domain(text: str) -> str | None:
    try:
        return _registrable_domain(text[:2000])
    except ValueError:
        return None


_WORD = re.compile(r"[a-z0-9]+")
_LEADING_ARTICLE = re.compile(r"^(?:the|la|le|el|die|der)\s+", re.I)


def _key(text: str) -> str:
    """``The Harbour-Gazette`` → ``harbourgazette``: a name or domain label compared without spaces."""
    return "".join(_WORD.findall(_LEADING_ARTICLE.sub("", text.casefold())))


def _site_label(domain: str) -> str:
    """The label that names the site: ``coastal-ledger`` of ``news.coastal-ledger.example``."""
    registrable = registrable_domain(domain) or domain
    return _key(registrable.split(".")[0])


def name_fits_domain(name: str, domain: str | None) -> bool:
    """Whether a site name plausibly names the site at ``domain``.

    ``Coastal Ledger`` fits ``coastal-ledger.example``, ``BBC News`` fits ``bbc.com``, ``Houston Chronicle``
    fits ``chron.com`` and ``Yonhap News Agency`` fits ``yna.co.kr`` (its initials); ``Valley Daily Digest``
    does not fit ``northwindradio.example``.
    """
    if not domain or not name or len(name) > MAX_NAME_CHARS:
        return False
    label, key = _site_label(domain), _key(name)
    if len(label) < 2 or not key:
        return False
    words = _WORD.findall(_LEADING_ARTICLE.sub("", name.casefold()))
    initials = "".join(word[0] for word in words)
    if host_of(name) and registrable_domain(name) == registrable_domain(domain):
        return True  # "Telegraph.co.uk", "Polygraph.info"
    if label in key and len(label) >= 3:
        return True
    return key in label or initials == label or (len(initials) >= 3 and label.startswith(initials))


def is_junk_site_name(name: str | None, domain: str | None = None) -> bool:
    """Names that say nothing about the outlet: sections ("U.S."), "Home", a bare lower-case label ("detroitnews")."""
    if not name:
        return True
    text = " ".join(name.split())
    if not text or len(text) > MAX_NAME_CHARS or text.casefold() in JUNK_SITE_NAMES:
        return True
    if not _WORD.search(text.casefold()):
        return True
    # "detroitnews" on detroitnews.com: the domain's label repeated, not a name a reader would use.
    return bool(domain) and text == text.casefold() and " " not in text and _key(text) == _site_label(domain or "")


def is_hosting_origin(url_or_host: str | None) -> bool:
    """A back-end host such as ``localtvkstu.wordpress.com`` that a site's canonical link may point to."""
    host = host_of(url_or_host) if url_or_host else None
    return bool(host) and any(host == d or host.endswith("." + d) for d in HOSTING_DOMAINS)  # type: ignore[union-attr]


def best_site_name(candidates: Iterable[str | None], domain: str | None) -> str | None:
    """The first candidate that is a real name; a name that does not fit the domain loses to one that does."""
    names = [" ".join(c.split()) for c in candidates if c and not is_junk_site_name(c, domain)]
    if domain:
        fitting = [n for n in names if name_fits_domain(n, domain)]
        if fitting:
            return fitting[0]
    return names[0] if names else None


def site_identity(names: Iterable[str | None], addresses: Iterable[str | None]) -> OutletRef | None:
    """The page's own outlet: the best site name joined with the host of its first usable address.

    ``addresses`` come strongest first (the URL fetched, ``og:url``, then the canonical link); hosting
    origins are skipped. Without a name the host names the outlet (the registry may know it by domain).
    """
    host = next((h for a in addresses if a and not is_hosting_origin(a) and (h := host_of(a))), None)
    name = best_site_name(names, host)
    if host is None:
        return OutletRef(name=name) if name else None
    return OutletRef(name=name or host, domain=host)


def same_outlet(left: OutletRef | None, right: OutletRef | None) -> bool:
    """Whether two references name one outlet: one registrable domain, one name, or a name that fits the domain."""
    if left is None or right is None:
        return False
    if left.domain and right.domain:
        return registrable_domain(left.domain) == registrable_domain(right.domain)
    if _key(left.name) and _key(left.name) == _key(right.name):
        return True
    return name_fits_domain(left.name, right.domain) or name_fits_domain(right.name, left.domain)


def merge_identity(refs: Iterable[OutletRef]) -> OutletRef | None:
    """One reference from several for the same site, strongest first: the first real name, the first domain."""
    refs = list(refs)
    if not refs:
        return None
    domain = next((r.domain for r in refs if r.domain), None)
    # A reference built from a URL is named by its host; that is a fallback, not a name.
    named = [r.name for r in refs if r.name and r.name != r.domain
             and (r.domain is None or domain is None or same_outlet(r, OutletRef(domain, domain)))]
    name = best_site_name(named, domain) or (domain if domain else refs[0].name)
    return OutletRef(name=name, domain=domain)


_TITLE_SEPARATOR = re.compile(r"\s+(?:\||-{1,2}|–|—|::|«|»|·)\s+")
_DATE_SEGMENT = re.compile(r"[\d./-]{6,10}")


def split_title_suffix(title: str, site_names: Iterable[str | None], domain: str | None) -> tuple[str, str | None]:
    """``Harbour reopens | The Harbour Gazette`` → (``Harbour reopens``, ``The Harbour Gazette``).

    Trailing segments are cut while they name the site (a known site name, or a name that fits the
    domain) or are a date (``… | DW | 10.06.2013``); a headline is never cut to nothing.
    """
    keys = {_key(n) for n in site_names if n}
    text = title.strip()[:500]
    separators = list(_TITLE_SEPARATOR.finditer(text))
    segments = _TITLE_SEPARATOR.split(text)
    suffix = None
    while len(segments) > 1:
        last = segments[-1].strip()
        if _DATE_SEGMENT.fullmatch(last):
            segments.pop()
        elif len(last) <= MAX_NAME_CHARS and (_key(last) in keys or name_fits_domain(last, domain)):
            suffix = suffix or last
            segments.pop()
        else:
            break
    if len(segments) == len(separators) + 1:
        return title.strip(), None
    # Cut at the separator after the last kept segment, so the headline keeps its own separators.
    return text[: separators[len(segments) - 1].start()].strip(), suffix
