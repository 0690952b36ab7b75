"""Web pages: the article text without boilerplate (trafilatura) plus the provenance a page declares.

Besides title, author, date and text, the page's own claims about who published it are kept as
evidence: ``<link rel=canonical>``, ``og:site_name``, JSON-LD ``publisher`` and the page URL itself.
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import charset_normalizer
import lxml.html
import trafilatura
from lxml import etree

from ingest.articles import ArticleParseError, build_article, to_iso_utc
from ingest.credits import byline_claims, credit_claims, portal_claims, wire_of
from ingest.identity import (
    host_of,
    is_hosting_origin,
    is_junk_site_name,
    name_fits_domain,
    registrable_domain,
    same_outlet,
    site_identity,
    split_title_suffix,
)
from ingest.provenance import STRENGTH, Claim, ref_from_name
from ingest.types import Article, Evidence, OutletRef


@dataclass(frozen=True, slots=True)
class PageMetadata:
    canonical_url: str | None = None
    site_name: str | None = None
    published_time: str | None = None
    jsonld_publisher: str | None = None
    jsonld_published: str | None = None
    og_url: str | None = None
    #: Bylines the markup gives: ``<meta name=author>``, JSON-LD authors, byline and provider elements.
    bylines: tuple[str, ...] = ()
    #: JSON-LD ``isBasedOn`` / ``sourceOrganization``: the work or organisation the article is based on.
    based_on: tuple[str, ...] = ()
    #: Credit lines kept outside the article text (``Provided by …``, SyndiGate blocks) and source links.
    credits: tuple[str, ...] = ()
    source_links: tuple[tuple[str, str], ...] = ()


def _jsonld_objects(tree: lxml.html.HtmlElement) -> list[dict[str, object]]:
    objects: list[dict[str, object]] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except ValueError:
            continue  # broken JSON-LD is common and says nothing reliable
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                objects.append(item)
                stack.extend(v for v in item.get("@graph", []) if isinstance(item.get("@graph"), list))
            elif isinstance(item, list):
                stack.extend(item)
    return objects


#: Where pages state their own publication time, most specific first; a date guessed from the text is the last resort.
_PUBLISHED_XPATHS = (
    '//meta[@property="article:published_time"]/@content',
    '//meta[@itemprop="datePublished"]/@content',
    '//meta[@property="og:published_time"]/@content',
    '//meta[@name="pubdate" or @name="publishdate" or @name="parsely-pub-date" or @name="sailthru.date"]/@content',
    '//meta[@name="DC.date.issued" or @name="dc.date.issued" or @name="date"]/@content',
    '//time[@itemprop="datePublished"]/@datetime',
)
#: Elements whose class marks a byline or a story's provider (never a caption: captions credit photos, not text).
_BYLINE_XPATH = ('//*[contains(@class,"byline") or contains(@class,"publication") or contains(@class,"provider")]'
                 '[not(ancestor-or-self::*[contains(@class,"caption") or contains(@class,"photo")])]')
_MAX_BYLINES = 12


def _names(value: object) -> list[str]:
    """Names of a JSON-LD value: a string, an object with ``name``, or a list of them."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items[:_MAX_BYLINES]:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            names.append(item["name"])
    return [n.strip()[:200] for n in names if n.strip()]


def _urls(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items[:_MAX_BYLINES]:
        if isinstance(item, str) and item.startswith("http"):
            found.append(item)
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            found.append(item["url"])
    return found


def _text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def _markup_credits(tree: lxml.html.HtmlElement) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """(bylines, credit lines, source links) from the page's markup, each short and bounded in number."""
    bylines = [t for e in tree.xpath(_BYLINE_XPATH)[:40] if 0 < len(t := _text(e)) <= 120][:_MAX_BYLINES]
    credits = []
    for element in tree.xpath('//*[starts-with(normalize-space(text()),"Provided by")]')[:4]:
        credits.append(_text(element)[:200])
    for block in tree.xpath('//*[contains(@class,"syndigate")]')[:4]:
        # SyndiGate reposts end with "Via SyndiGate.info", the source's logo link and its copyright line.
        logo = [(a.get("href", ""), a.xpath("string(.//img/@title)") or _text(a)) for a in block.xpath(".//a[@href]")]
        logo = [(href, name) for href, name in logo if "syndigate" not in href.casefold()]
        copyright_line = next((_text(p) for p in block.xpath(".//p") if "copyright" in _text(p).casefold()), "")
        if logo:
            credits.append(f"syndigate|{logo[0][0]}|{logo[0][1]}|{copyright_line}"[:400])
    links = []
    for anchor in tree.xpath("//h1//a[@href]")[:2]:
        href = anchor.get("href", "")
        # The source's own name: a short link to the same address elsewhere on the page (an aggregator's
        # "Max Blumenthal / The Grayzone" line).
        named = [_text(a) for a in tree.xpath("//a[@href=$href]", href=href)[:6] if 0 < len(_text(a)) <= 40]
        links.append((href, named[0] if named else ""))
    return bylines, credits, links


def page_metadata(html: str) -> PageMetadata:
    """Provenance the page declares in its head and markup; missing or broken markup gives empty fields."""
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return PageMetadata()

    def first(xpath: str) -> str | None:
        found = [str(v).strip() for v in tree.xpath(xpath) if str(v).strip()]
        return found[0] if found else None

    publisher = published = None
    authors: list[str] = []
    based_on: list[str] = []
    for obj in _jsonld_objects(tree):
        raw = obj.get("publisher")
        if isinstance(raw, dict) and raw.get("name") and not publisher:
            publisher = str(raw["name"])
        if obj.get("datePublished") and not published:
            published = str(obj["datePublished"])
        if obj.get("@type") in ("NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "WebPage"):
            authors += _names(obj.get("author"))
            based_on += _urls(obj.get("isBasedOn")) + _names(obj.get("sourceOrganization"))
    bylines, credits, links = _markup_credits(tree)
    meta_author = first('//meta[@name="author"]/@content')
    published_time = next((found for xpath in _PUBLISHED_XPATHS if (found := first(xpath))), None)
    return PageMetadata(
        canonical_url=first('//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href'),
        site_name=first('//meta[@property="og:site_name"]/@content'),
        published_time=published_time,
        jsonld_publisher=publisher,
        jsonld_published=published,
        og_url=first('//meta[@property="og:url"]/@content'),
        bylines=tuple(dict.fromkeys(([meta_author] if meta_author else []) + authors[:_MAX_BYLINES] + bylines)),
        based_on=tuple(based_on[:_MAX_BYLINES]),
        credits=tuple(credits),
        source_links=tuple(links),
    )


_COPYRIGHT_HOLDER = re.compile(r"Copyright\s?[©@]?\s?(?:\d{4}\s)?([A-Z][^.©]{1,60}?)\.")


def _site_of(url: str) -> OutletRef | None:
    """The site of an address taken from markup; one that does not parse names no site."""
    host = host_of(url)
    return OutletRef(name=host, domain=host) if host else None


def _syndigate_claim(credit: str) -> Claim | None:
    _, href, logo_name, copyright_line = [*credit.split("|", 3), "", "", ""][:4]
    holder = _COPYRIGHT_HOLDER.search(copyright_line)
    name = holder.group(1).strip() if holder else logo_name.strip()
    host = _site_of(href) if href.startswith("http") else None
    if not name and host is None:
        return None
    outlet = OutletRef(name=name or (host.name if host else ""), domain=host.domain if host else None)
    return Claim(Evidence("syndigate-credit", f"Via SyndiGate.info: {copyright_line or name} ({href})"), outlet,
                 STRENGTH["footer"])


def _different_site(url: str, identity: OutletRef | None) -> OutletRef | None:
    """The site at ``url`` when it is another outlet than the page's own (and not a hosting origin)."""
    site = _site_of(url) if url.startswith(("http://", "https://")) else None
    if site is None or is_hosting_origin(url):
        return None
    if identity and identity.domain and registrable_domain(site.domain or "") == registrable_domain(identity.domain):
        return None
    return site


def page_claims(meta: PageMetadata, page_url: str | None, title: str, author: str | None
                ) -> tuple[list[Claim], tuple[Evidence, ...], str]:
    """(claims, evidence that only confirms the page's own site, the title without its site suffix).

    The page's own outlet is one identity (``ingest.identity``): its best site name with the host of the
    URL it was fetched from, its ``og:url`` or, for a saved page, its canonical link when the site's name
    fits that address. Everything else that names another outlet is a claim for the original (#11).
    """
    names = [n for n in (meta.site_name, meta.jsonld_publisher) if n]
    addresses = [page_url, meta.og_url]
    canonical = meta.canonical_url if (meta.canonical_url or "").startswith(("http://", "https://")) else None
    if not any(addresses) and canonical and not is_hosting_origin(canonical):
        real_names = [n for n in names if not is_junk_site_name(n)]
        if not real_names or any(name_fits_domain(n, canonical) for n in real_names):
            addresses.append(canonical)
    own = site_identity([], addresses)
    domain = own.domain if own else None
    clean_title, suffix = split_title_suffix(title, names, domain)
    site_names = [meta.site_name, *(n for n in (meta.jsonld_publisher, suffix) if n and name_fits_domain(n, domain))]
    identity = site_identity(site_names if domain else [meta.site_name, suffix], addresses)
    claims: list[Claim] = []
    confirming: list[Evidence] = []
    if identity:
        rule, text = ("og-site-name", meta.site_name) if meta.site_name else ("page-address", identity.domain or "")
        claims.append(Claim(Evidence(rule, text or identity.name), identity, STRENGTH["declared"], "publisher"))
    if canonical:
        evidence = Evidence("html-canonical-link", canonical)
        if is_hosting_origin(canonical):
            confirming.append(Evidence("canonical-hosting-origin", canonical))
        elif other := _different_site(canonical, identity):
            # A canonical link to another site is how syndication partners credit the original.
            claims.append(Claim(evidence, other, STRENGTH["canonical"]))
        else:
            confirming.append(evidence)
    if meta.jsonld_publisher:
        evidence = Evidence("jsonld-publisher", meta.jsonld_publisher)
        named = OutletRef(name=meta.jsonld_publisher)
        if identity and (same_outlet(named, identity) or meta.jsonld_publisher == meta.site_name):
            confirming.append(evidence)
        else:
            claims.append(Claim(evidence, wire_of(meta.jsonld_publisher) or named, STRENGTH["jsonld"]))
    for byline in (*meta.bylines, author):
        claims += byline_claims(byline, "byline")
    for basis in meta.based_on:
        other = _different_site(basis, identity) if basis.startswith("http") else wire_of(basis) or ref_from_name(basis)
        if other and not same_outlet(other, identity):
            claims.append(Claim(Evidence("jsonld-based-on", basis), other, STRENGTH["jsonld"]))
    for credit in meta.credits:
        if not credit.startswith("syndigate|"):
            claims += credit_claims(credit)
        elif syndigate := _syndigate_claim(credit):
            claims.append(syndigate)
    for href, name in meta.source_links:
        if other := _different_site(href, identity):
            source = OutletRef(name=name or other.name, domain=other.domain)
            evidence = Evidence("headline-source-link", f"{name} {href}".strip())
            claims.append(Claim(evidence, source, STRENGTH["canonical"]))
    claims += portal_claims(canonical or meta.og_url or page_url)
    return claims, tuple(confirming), clean_title


#: Fewer words than this is not an article (a teaser, a headline); a short wire brief has about 40.
MIN_ARTICLE_WORDS = 20
#: One paragraph this short that carries a photo credit is a caption, not an article.
MAX_CAPTION_WORDS = 60
_CAPTION = re.compile(r"\((?:AP|Reuters|AFP|EPA|Getty)[^()]{0,80}\)\s*$|\b(?:AP|AFP|EPA) Photo\b|Getty Images|"
                      r"\b(?:Photo|Image|Picture)(?: credit)?:", re.I)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)/(?:[A-Za-z]{1,20}/)?(\d\d?)/(\d\d?)(?:/|$)")


def date_in_url(url: str) -> str | None:
    """``…/2010/POLITICS/08/13/…`` → ``2010-08-13``: the date many sites put in an article's address."""
    found = _URL_DATE.search(urlsplit(url[:2000]).path) if url else None
    if not found:
        return None
    year, month, day = (int(g) for g in found.groups())
    return f"{year:04d}-{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else None


def plausible_date(value: object) -> bool:
    """A date a page can have been published on: it parses, and lies between 1990 and next year
    (JSON-LD ``0001-01-01`` is a placeholder, not a date)."""
    if not value:
        return False
    try:
        iso = to_iso_utc(value)
    except ValueError:
        return False
    return iso is not None and "1990" <= iso[:4] <= str(datetime.now(UTC).year + 1)


_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s{0,5}=\s{0,5}["']?([A-Za-z0-9_.:-]{1,40})""", re.I)
_XML_ENCODING = re.compile(rb"""^\s{0,100}<\?xml[^>]{0,200}?encoding\s{0,5}=\s{0,5}["']([A-Za-z0-9_.:-]{1,40})""", re.I)
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
#: Single-byte charsets a page may declare while its bytes are UTF-8 (the declaration outlived a re-save).
_LATIN = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii", "ascii"}
SNIFF_BYTES = 4096


def declared_charset(raw: bytes) -> str | None:
    """The charset a page declares in its first bytes: a BOM, an XML declaration or a ``<meta>`` tag."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    head = raw[:SNIFF_BYTES]
    found = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return found.group(1).decode("ascii").lower() if found else None


def decode_html(raw: bytes, source: str, http_charset: str | None = None) -> str:
    """A page's text: by its BOM, the HTTP charset, its declared charset, then UTF-8, then detection.

    A declared Latin-1/Windows-1252 page whose bytes are valid UTF-8 with non-ASCII characters is read as
    UTF-8 (real pages keep old declarations after being re-saved as UTF-8; #11).
    """
    declared = declared_charset(raw)
    if b"\x00" in raw[:8192] and declared != "utf-16":
        raise ArticleParseError(source, "binary file, not HTML")
    candidates = [c for c in (declared if declared in ("utf-8-sig", "utf-16") else None, http_charset, declared)
                  if c]
    for charset in [*candidates, "utf-8"]:
        try:
            text = raw.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
        if charset.lower() in _LATIN and not raw.isascii():
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                pass
        return text
    best = charset_normalizer.from_bytes(raw[:500_000]).best()
    if best is None:
        tried = ", ".join([*candidates, "utf-8"])
        raise ArticleParseError(source, f"cannot tell the page's character encoding (tried {tried}); save it as UTF-8")
    return raw.decode(best.encoding, errors="replace")


def parse_html(html: str, source: str, page_url: str | None = None) -> Article:
    """An article from a web page; ``page_url`` is where it was fetched (or None for a local file)."""
    with warnings.catch_warnings():
        # trafilatura's dependencies (htmldate, dateparser) warn about their own internals.
        warnings.simplefilter("ignore")
        document = trafilatura.bare_extraction(html, url=page_url, with_metadata=True, include_comments=False)
    if document is None or not (document.text or "").strip():
        raise ArticleParseError(source, "no article text found in the HTML")
    meta = page_metadata(html)
    title = (document.title or "").strip()
    paragraphs = [line for line in document.text.split("\n") if line.strip()]
    if paragraphs and title and paragraphs[0].strip() == title:
        paragraphs = paragraphs[1:]  # trafilatura repeats the <h1> as the first line
    claims, same_site_evidence, title = page_claims(meta, page_url, title, document.author)
    if paragraphs and title and paragraphs[0].strip() == title:
        paragraphs = paragraphs[1:]
    words = sum(len(p.split()) for p in paragraphs)
    caption = len(paragraphs) == 1 and words < MAX_CAPTION_WORDS and bool(_CAPTION.search(paragraphs[0][:1000]))
    if words < MIN_ARTICLE_WORDS or caption:
        # A photo caption or a teaser is not an article: say so rather than store it (#11).
        preview = " ".join(" ".join(paragraphs).split()[:12])
        why = "it reads as a photo caption" if caption else f"the minimum is {MIN_ARTICLE_WORDS}"
        raise ArticleParseError(source, f"only {words} words extracted: {preview!r}; not stored as an article ({why})")
    own_address = page_url or meta.og_url or meta.canonical_url or ""
    return build_article(
        title=title,
        paragraphs=paragraphs,
        source=source,
        url=page_url or meta.og_url or meta.canonical_url or document.url,
        canonical_url=meta.canonical_url,
        # The page's own publication metadata first, then the date in its own address; trafilatura's
        # date is a guess (from sidebars, tickers, copyright years) and comes last.
        published_at=next((d for d in (meta.published_time, meta.jsonld_published, date_in_url(own_address),
                                       document.date) if plausible_date(d)), None),
        author=document.author,
        claims=claims,
        site_name=meta.site_name,
        evidence=same_site_evidence,
    )
