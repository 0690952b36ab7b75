"""Web pages: the article text without boilerplate (trafilatura) plus the provenance a page declares.

Besides title, author, date and text, the page's own claims about who published it are kept as
evidence: ``<link rel=canonical>``, ``og:site_name``, JSON-LD ``publisher`` and the page URL itself.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml import etree

from ingest.articles import ArticleParseError, build_article
from ingest.domains import registrable_domain
from ingest.provenance import STRENGTH, Claim, ref_from_domain
from ingest.types import Article, Evidence, OutletRef


@dataclass(frozen=True, slots=True)
class PageMetadata:
    canonical_url: str | None = None
    site_name: str | None = None
    published_time: str | None = None
    jsonld_publisher: str | None = None
    jsonld_published: str | None = None


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


def page_metadata(html: str) -> PageMetadata:
    """Provenance the page declares in its head; missing or broken markup gives empty fields."""
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return PageMetadata()

    def first(xpath: str) -> str | None:
        found = [str(v).strip() for v in tree.xpath(xpath) if str(v).strip()]
        return found[0] if found else None

    publisher = published = None
    for obj in _jsonld_objects(tree):
        raw = obj.get("publisher")
        if isinstance(raw, dict) and raw.get("name") and not publisher:
            publisher = str(raw["name"])
        if obj.get("datePublished") and not published:
            published = str(obj["datePublished"])
    return PageMetadata(
        canonical_url=first('//link[translate(@rel,"CANONICAL","canonical")="canonical"]/@href'),
        site_name=first('//meta[@property="og:site_name"]/@content'),
        published_time=first('//meta[@property="article:published_time"]/@content'),
        jsonld_publisher=publisher,
        jsonld_published=published,
    )


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
    # Where the page was fetched is its host; a saved file has none, and its canonical link may be the
    # original's address rather than the host's, so then only og:site_name says who hosted it.
    host = ref_from_domain(page_url) if page_url else None
    claims = []
    if meta.site_name:
        named = OutletRef(name=meta.site_name, domain=host.domain if host else None)
        claims.append(Claim(Evidence("og-site-name", meta.site_name), named, STRENGTH["declared"], "publisher"))
    canonical = ref_from_domain(meta.canonical_url) if meta.canonical_url else None
    same_site_evidence: tuple[Evidence, ...] = ()
    if canonical:
        evidence = Evidence("html-canonical-link", meta.canonical_url or "")
        if host and registrable_domain(canonical.domain or "") == registrable_domain(host.domain or ""):
            same_site_evidence = (evidence,)
        else:
            # A canonical link to another site is how syndication partners credit the original.
            claims.append(Claim(evidence, canonical, STRENGTH["canonical"]))
    if meta.jsonld_publisher:
        domain = canonical.domain if canonical else host.domain if host else None
        named = OutletRef(name=meta.jsonld_publisher, domain=domain)
        claims.append(Claim(Evidence("jsonld-publisher", meta.jsonld_publisher), named, STRENGTH["jsonld"]))
    return build_article(
        title=title,
        paragraphs=paragraphs,
        source=source,
        url=page_url or meta.canonical_url or document.url,
        canonical_url=meta.canonical_url,
        published_at=meta.published_time or meta.jsonld_published or document.date,
        author=document.author,
        claims=claims,
        site_name=meta.site_name,
        evidence=same_site_evidence,
    )
