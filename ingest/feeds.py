"""RSS and Atom feeds (feedparser): each entry becomes an article, or a link to fetch when it holds only a summary."""

from __future__ import annotations

import html as html_lib
import io
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urljoin, urlsplit

import feedparser
from lxml import etree

from ingest.articles import ArticleParseError, build_article, to_iso_utc
from ingest.domains import registrable_domain
from ingest.provenance import STRENGTH, Claim, ref_from_domain
from ingest.types import Article, Evidence, OutletRef

# A tag cannot contain "<": with "[^>]+", every "<" of a long run without ">" scanned to the end (quadratic; #10).
_TAG = re.compile(r"<[^<>]+>")
_BLOCK_END = re.compile(r"</(p|div|li|h[1-6]|blockquote)>|<br\s*/?>", re.I)
#: An entry whose text is shorter than this is a teaser: the article is at its link.
MIN_FULL_TEXT_CHARS = 400
#: Feed dates before this year are placeholders (web feeds began in the late 1990s).
EARLIEST_FEED_YEAR = 1990


@dataclass(frozen=True, slots=True)
class FeedEntry:
    title: str
    link: str | None
    published_at: str | None
    author: str | None
    text: str
    full_text: bool


@dataclass(frozen=True, slots=True)
class Feed:
    title: str | None
    link: str | None
    entries: list[FeedEntry]


def html_to_paragraphs(markup: str) -> list[str]:
    """Paragraph texts of a small HTML fragment (feed content), entities decoded."""
    text = _TAG.sub("", _BLOCK_END.sub("\n", markup))
    return [" ".join(html_lib.unescape(line).split()) for line in text.split("\n") if line.strip()]


#: Feeds of search services: their entries are other sites' articles, never the service's own.
SEARCH_FEED_DOMAINS = frozenset({"google.com"})
#: Redirect services that wrap an article's address in a query parameter (Google Alerts, Google News).
_WRAPPER_PARAMS = {"google.com": ("url", "q"), "news.google.com": ("url",)}
_MAX_URL_CHARS = 4000


def unwrap_url(url: str | None, base: str | None = None) -> str | None:
    """The real article address behind a redirect wrapper (``google.com/url?…&url=X`` → X); relative
    links are resolved against the feed's own address. Other addresses come back as they are."""
    if not url:
        return url
    url = url.strip()[:_MAX_URL_CHARS]
    if base and not url.lower().startswith(("http://", "https://")):
        try:
            url = urljoin(base, url)
        except ValueError:  # the feed's own address is no URL ("a://["): the link stays as written
            return url
    for _ in range(3):  # a wrapper inside a wrapper, at most three deep
        try:
            parts = urlsplit(url)
        except ValueError:
            return url
        host = (parts.hostname or "").removeprefix("www.")
        names = _WRAPPER_PARAMS.get(host, ())
        if host == "google.com" and parts.path.rstrip("/") != "/url":
            names = ()  # only google.com/url is a redirect; other Google pages are pages
        query = parse_qs(parts.query)
        inner = next((query[n][0] for n in names if query.get(n)), None)
        if not inner or not inner.lower().startswith(("http://", "https://")):
            return url
        url = inner
    return url


def original_links(data: bytes) -> dict[str, str]:
    """``feedburner:origLink`` / ``pheedo:origLink`` of each item, by the item's own link.

    feedparser keeps origLink on well-formed items, but real feeds put it after a stray ``<item />``
    (FeedBurner's pcmag feed), where feedparser loses it; a recovering XML parse keeps it with its item.
    """
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError):
        return {}
    if root is None:
        return {}
    found: dict[str, str] = {}
    items = root.xpath("//*[local-name()='item' or local-name()='entry']"
                       "[not(ancestor::*[local-name()='item' or local-name()='entry'])]")
    for item in items[:2000]:
        link = item.xpath("string(*[local-name()='link'][1])").strip() or item.xpath(
            "string(*[local-name()='link'][1]/@href)").strip()
        original = item.xpath("string(.//*[translate(local-name(),'ORIGLINK','origlink')='origlink'][1])").strip()
        if link and original.lower().startswith(("http://", "https://")):
            found[link[:_MAX_URL_CHARS]] = original[:_MAX_URL_CHARS]
    return found


def plain_title(title: str) -> str:
    """A feed title without markup (Google Alerts wraps matched words in ``<b>``), entities decoded."""
    return " ".join(html_lib.unescape(_TAG.sub("", html_lib.unescape(title[:2000]))).split())


def _entry_date(entry: feedparser.FeedParserDict) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    # "01 Jan 0001" and the like are placeholders, not news dates: unknown rather than a date 2,000 years off.
    if not parsed or parsed[0] < EARLIEST_FEED_YEAR:
        return None
    try:
        return to_iso_utc(datetime(*parsed[:6], tzinfo=UTC))
    except (ValueError, OverflowError):
        return None


def parse_feed(data: bytes, source: str) -> Feed:
    """Entries of an RSS/Atom document; a document that is not a feed at all is an ``ArticleParseError``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feedparser warns on its own deprecated aliases
        # Always a stream: given bytes or a string, feedparser first tries them as a URL (and fetches it) or
        # as a file name (and reads it), so a feed whose body is "/etc/passwd" or "/dev/zero" read that file (#10).
        # SEE: the docstring of feedparser.parse ("Wrap an untrusted string in a io.BytesIO").
        parsed = feedparser.parse(io.BytesIO(data))
    entries = []
    origins = original_links(data)
    base = parsed.feed.get("link")
    for entry in parsed.entries:
        if not (entry.get("title") or entry.get("link") or entry.get("summary") or entry.get("content")):
            continue  # a stray empty <item />: debris, not an entry
        content = entry.get("content") or []
        markup = max((c.get("value", "") for c in content), key=len, default="") or entry.get("summary", "")
        text = "\n".join(html_to_paragraphs(markup))
        # The article's real address before anything else uses it: origLink, then the unwrapped link.
        link = entry.get("feedburner_origlink") or entry.get("pheedo_origlink") or origins.get(entry.get("link", ""))
        entries.append(
            FeedEntry(
                title=plain_title(entry.get("title", "")),
                link=unwrap_url(link or entry.get("link"), base),
                published_at=_entry_date(entry),
                author=entry.get("author"),
                text=text,
                full_text=len(text) >= MIN_FULL_TEXT_CHARS,
            )
        )
    if parsed.get("bozo"):
        # feedparser recovers what it can from broken XML; an entry with neither text nor link is debris.
        entries = [e for e in entries if e.text or e.link]
        if not entries:
            reason = parsed.get("bozo_exception")
            raise ArticleParseError(source, f"malformed feed ({reason or 'not RSS or Atom'})")
    if not entries:
        raise ArticleParseError(source, "the feed has no entries")
    return Feed(title=parsed.feed.get("title"), link=parsed.feed.get("link"), entries=entries)


def entry_article(entry: FeedEntry, feed: Feed, source: str, note: str | None = None) -> Article:
    """The article an entry carries in full (or its summary, when the linked page cannot be fetched:
    ``note`` then says why, and is kept with the article's evidence)."""
    claims = []
    site = ref_from_domain(feed.link) if feed.link else None
    if site and registrable_domain(site.domain or "") in SEARCH_FEED_DOMAINS:
        # A Google Alerts / Google News feed lists other sites' articles; it publishes none of them, so each
        # entry's own site (its URL host) is its publisher, not google.com (#11).
        site = None
    if site:
        named = OutletRef(name=feed.title or site.name, domain=site.domain)
        evidence = Evidence("feed-metadata", f"{feed.title or ''} {feed.link}".strip())
        claims.append(Claim(evidence, named, STRENGTH["declared"], "publisher"))
        linked = ref_from_domain(entry.link) if entry.link else None
        if linked and registrable_domain(linked.domain or "") != registrable_domain(site.domain or ""):
            # A feed that links its entries to another site is republishing that site's stories.
            claims.append(Claim(Evidence("feed-entry-link", entry.link or ""), linked, STRENGTH["declared"]))
    title = entry.title or (entry.text.split("\n", 1)[0][:120] if entry.text else "")
    if not entry.text:
        raise ArticleParseError(source, f"entry {title or entry.link!r} has no text")
    return build_article(
        title=title,
        paragraphs=entry.text.split("\n"),
        source=f"{source}#{entry.link or title}",
        url=entry.link,
        published_at=entry.published_at,
        author=entry.author,
        claims=claims,
        evidence=(Evidence("feed-text-only", note),) if note else (),
    )
