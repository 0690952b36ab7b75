"""From a source (a file, a folder or a URL) to articles: pick the format, parse, fetch linked pages.

Each loader yields ``Article`` values, or the ``ArticleParseError`` of one item, so that a broken entry
in a feed or a JSON list never stops the entries after it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ingest.articles import (
    TEXT_SUFFIXES,
    ArticleParseError,
    check_file_size,
    decode_text,
    parse_text,
)
from ingest.feeds import Feed, entry_article, parse_feed
from ingest.fetch import Fetcher, FetchError
from ingest.html import decode_html, parse_html
from ingest.jsonfmt import parse_json
from ingest.types import Article

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
#: A web page holds one article; 5 MB is also the default download limit (NEWSDESK_FETCH_MAX_BYTES). The largest
#: page of ../shared/data/realweb/ is 1.3 MB.
MAX_PAGE_BYTES = 5_000_000
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES
FORMATS = ("auto", "text", "html", "feed", "json", "jsonl", "multihop")

Loaded = Article | ArticleParseError
logger = logging.getLogger(__name__)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(source: str) -> bool:
    return bool(_SCHEME.match(source))


def expand_sources(sources: Iterable[str], on_skip: Callable[[str], None] | None = None) -> Iterator[str]:
    """URLs and files as given; the supported files inside folders (recursively, sorted, hidden ones skipped).

    Files of other types found in folders go to ``on_skip``. A listed file that is gone by the time it is
    reached is still yielded, so that loading it reports it rather than the run passing over it in silence.
    """
    for source in sources:
        path = Path(source)
        if not is_url(source) and path.is_dir():
            for found in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in found.relative_to(path).parts) or found.is_dir():
                    continue
                if found.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield str(found)
                elif on_skip is not None:
                    on_skip(str(found))
        else:
            yield source


def _format_of_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    for fmt, suffixes in (("text", TEXT_SUFFIXES), ("html", HTML_SUFFIXES), ("feed", FEED_SUFFIXES),
                          ("json", JSON_SUFFIXES), ("jsonl", JSONL_SUFFIXES)):
        if suffix in suffixes:
            return fmt
    supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
    raise ArticleParseError(path, f"unsupported file type {suffix or '(none)'!r}; supported: {supported}")


def _format_of_media_type(content_type: str, body: bytes) -> str:
    if "html" in content_type:
        head = body[:2048].lstrip().lower()
        return "feed" if head.startswith((b"<?xml", b"<rss", b"<feed")) and b"<html" not in head else "html"
    if "rss" in content_type or "atom" in content_type or content_type.endswith("/xml"):
        return "feed"
    if "ndjson" in content_type or "jsonl" in content_type:
        return "jsonl"
    if "json" in content_type:
        return "json"
    return "text"


def _parse(data: bytes, fmt: str, source: str, *, page_url: str | None, charset: str | None,
           fetch_entry: Callable[[str], Loaded] | None) -> Iterator[Loaded]:
    if fmt == "feed":
        feed = parse_feed(data, source)
        yield from _feed_articles(feed, source, fetch_entry)
        return
    if fmt == "html" and len(data) > MAX_PAGE_BYTES:
        # One page is one article: refused before trafilatura, whose time and memory grow with the page.
        raise ArticleParseError(source, f"the page is {len(data) / 1e6:.1f} MB, over the "
                                        f"{MAX_PAGE_BYTES / 1e6:.0f} MB limit for one web page")
    text = decode_html(data, source, charset) if fmt == "html" else decode_text(data, source, charset)
    if fmt == "html":
        yield parse_html(text, source, page_url=page_url)
    elif fmt in ("json", "jsonl", "multihop"):
        yield from parse_json(text, source, lines=fmt == "jsonl", multihop=fmt == "multihop")
    else:
        yield parse_text(text, source)


def _feed_articles(feed: Feed, source: str, fetch_entry: Callable[[str], Loaded] | None) -> Iterator[Loaded]:
    for entry in feed.entries:
        try:
            if not entry.full_text and entry.link and fetch_entry is not None:
                # A teaser entry: the article is the linked page (only when the feed itself came from the web).
                linked = fetch_entry(entry.link)
                if isinstance(linked, ArticleParseError) and entry.text:
                    # Nothing is lost: the feed's own text stays, with a note of why the page is missing (#11).
                    yield entry_article(entry, feed, source, note=f"{linked.reason}; kept the feed's own text")
                else:
                    yield linked
            else:
                yield entry_article(entry, feed, source)
        except ArticleParseError as error:
            yield error
        except Exception as error:  # a bug met by one odd entry must not cost the entries after it
            logger.debug("unexpected error in an entry of %s", source, exc_info=True)
            yield ArticleParseError(entry.link or source, f"unexpected {type(error).__name__}: {str(error)[:200]}")


def load_file(path: Path, fmt: str = "auto") -> Iterator[Loaded]:
    if not path.exists():
        raise ArticleParseError(path, "no such file or folder")
    if not path.is_file():
        raise ArticleParseError(path, "not a regular file")
    check_file_size(path)
    chosen = _format_of_suffix(path) if fmt == "auto" else fmt
    yield from _parse(path.read_bytes(), chosen, str(path), page_url=None, charset=None, fetch_entry=None)


def load_url(url: str, fetcher: Fetcher, fmt: str = "auto") -> Iterator[Loaded]:
    try:
        page = fetcher.fetch(url)
    except FetchError as error:
        raise ArticleParseError(url, str(error)) from error
    chosen = _format_of_media_type(page.content_type, page.body) if fmt == "auto" else fmt

    def fetch_entry(link: str) -> Loaded:
        try:
            linked = fetcher.fetch(link)
        except FetchError as error:
            return ArticleParseError(link, f"linked article from the feed: {error}")
        return next(iter(_parse(linked.body, "html", link, page_url=linked.url, charset=linked.charset,
                                fetch_entry=None)))

    yield from _parse(page.body, chosen, url, page_url=page.url, charset=page.charset, fetch_entry=fetch_entry)


def load_source(source: str, fmt: str, fetcher: Callable[[], Fetcher]) -> Iterator[Loaded]:
    """Articles of one source; a source that fails as a whole raises ``ArticleParseError``."""
    if is_url(source):
        if not source.lower().startswith(("http://", "https://")):
            raise ArticleParseError(source, "only http and https URLs are supported")
        yield from load_url(source, fetcher(), fmt)
    else:
        yield from load_file(Path(source), fmt)
