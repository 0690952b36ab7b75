"""Parse article files into ``Article`` values.

The plain-text format is the seed's: the first line is the headline (or standfirst), then body
paragraphs, then optionally a syndication footer, which is kept as provenance and left out of the body.
A file may start with a front-matter block (``---`` lines around ``key: value`` pairs: title, url,
published_at, author, publisher) for facts the text itself does not carry.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import yaml

from ingest.domains import registrable_domain
from ingest.provenance import publisher_from_url, split_footer
from ingest.types import Article, OutletRef

MAX_FILE_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".text", ".md"}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_FRONT_MATTER_KEYS = {"title", "url", "published_at", "author", "publisher"}


class ArticleParseError(ValueError):
    """The file is not an article we can read; the message says why, for the user."""


def normalise_body(body: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", body).split())


def article_id(body: str) -> str:
    """Stable id from the normalised body: the same text gets the same id wherever it was found."""
    return "a-" + hashlib.sha256(normalise_body(body).encode()).hexdigest()[:16]


def to_iso_utc(value: object) -> str | None:
    """ISO 8601 UTC (``2025-08-27T10:00:00Z``) from a date, datetime or string; None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as error:
            raise ArticleParseError(f"published_at {value!r} is not an ISO 8601 date") from error
    if moment.tzinfo is None:  # a date without a zone is taken as UTC rather than as local time
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _decode(raw: bytes, source: str) -> str:
    if b"\x00" in raw[:8192]:
        raise ArticleParseError(f"{source}: binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleParseError(f"{source}: not valid UTF-8 (byte {error.start})") from error


def _front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        fields = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise ArticleParseError(f"{source}: front matter is not valid YAML ({error})") from error
    if not isinstance(fields, dict) or not set(fields) <= _FRONT_MATTER_KEYS:
        unknown = sorted(set(fields) - _FRONT_MATTER_KEYS) if isinstance(fields, dict) else fields
        raise ArticleParseError(f"{source}: unknown front-matter keys {unknown}; allowed: {sorted(_FRONT_MATTER_KEYS)}")
    return fields, text[match.end() :]


def parse_text(text: str, source: str) -> Article:
    """Parse the plain-text article format (see the module docstring)."""
    fields, text = _front_matter(text.replace("\r\n", "\n").replace("\r", "\n"), source)
    lines = [line.strip() for line in text.split("\n")]
    paragraphs = [line for line in lines if line]
    if fields.get("title"):
        title = str(fields["title"]).strip()
    elif paragraphs:
        title = paragraphs.pop(0)
    else:
        raise ArticleParseError(f"{source}: empty file, no headline or body")
    body_paragraphs, footers, footer_text = split_footer(paragraphs)
    if not body_paragraphs:
        raise ArticleParseError(f"{source}: no body text after the headline")
    body = "\n\n".join(body_paragraphs)
    url = str(fields["url"]).strip() if fields.get("url") else None
    publisher = publisher_from_url(url)
    if fields.get("publisher"):
        name = str(fields["publisher"]).strip()
        publisher = OutletRef(name=name, domain=registrable_domain(name) if "." in name else None)
    original = None
    for match in footers:
        original = original or match.original
        publisher = publisher or match.publisher
    return Article(
        id=article_id(body),
        title=title,
        body=body,
        source_path=source,
        url=url,
        published_at=to_iso_utc(fields.get("published_at")),
        author=str(fields["author"]) if fields.get("author") else None,
        publisher=publisher,
        original=original or publisher,
        footer="\n\n".join(footer_text) or None,
        evidence=tuple(match.evidence for match in footers),
    )


def read_article_file(path: Path) -> Article:
    """Read one article file; raises ``ArticleParseError`` with a reason the user can act on."""
    source = str(path)
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise ArticleParseError(f"{source}: unsupported file type {path.suffix or '(none)'!r}; expected .txt or .md")
    size = path.stat().st_size
    if size == 0:
        raise ArticleParseError(f"{source}: empty file")
    if size > MAX_FILE_BYTES:
        raise ArticleParseError(f"{source}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
    return parse_text(_decode(path.read_bytes(), source), source)
