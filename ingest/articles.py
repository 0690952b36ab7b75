"""Parse article files into ``Article`` values.

The plain-text format is the seed's: the first line is the headline (or standfirst), then body
paragraphs, then optionally a syndication footer, which is kept as provenance and left out of the body.
A file may start with a front-matter block (``---`` lines around ``key: value`` pairs: title, url,
published_at, author, publisher) for facts the text itself does not carry.
"""

from __future__ import annotations

import email.utils
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from ingest.provenance import (
    STRENGTH,
    Claim,
    body_claims,
    decide,
    publisher_from_url,
    ref_from_domain,
    split_footer,
)
from ingest.types import Article, Evidence, OutletRef

MAX_FILE_BYTES = 20_000_000
#: The longest article text (paragraphs, in characters) that is indexed. A file may hold many articles up
#: to ``MAX_FILE_BYTES``, but one article's text is chunked, embedded and MinHashed as a whole, so this
#: bounds the time and memory one article costs (measured in #10: README, "Limits per article").
MAX_BODY_CHARS = 500_000
#: Front matter is a handful of one-line ``key: value`` pairs; a longer block is refused.
MAX_FRONT_MATTER_CHARS = 4_000
TEXT_SUFFIXES = {".txt", ".text", ".md"}
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_FRONT_MATTER_KEYS = {"title", "url", "published_at", "author", "publisher"}
# C0 control characters except tab, line feed and carriage return, and DEL: never text, and NUL breaks
# tokenizers and stores downstream, so they are removed wherever article text enters (#10). Lone UTF-16
# surrogates (JSON's "\ud800") cannot be encoded as UTF-8 at all: they become U+FFFD.
_UNSAFE_CHARS: dict[int, str | None] = {
    **dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]),
    **dict.fromkeys(range(0xD800, 0xE000), "\ufffd"),
}


class ArticleParseError(ValueError):
    """A source is not an article we can read: ``source`` names it, ``reason`` says why, for the user."""

    def __init__(self, source: object, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source, self.reason = str(source), reason


#: The keys of ``_UNSAFE_CHARS`` as one character class: almost every text has none of them, and looking for one is
#: about 15 times faster than ``str.translate`` with a 2,000-key table (a re-ingest of 609 articles spent 0.5 s there).
_ANY_UNSAFE_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without C0 control characters other than tab, line feed and carriage return (and without DEL),
    and with each lone surrogate replaced by U+FFFD."""
    return text.translate(_UNSAFE_CHARS) if _ANY_UNSAFE_CHAR.search(text) else text


def normalise_body(body: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", body).split())


def article_id(body: str) -> str:
    """Stable id from the normalised body: the same text gets the same id wherever it was found."""
    return "a-" + hashlib.sha256(normalise_body(body).encode()).hexdigest()[:16]


def to_iso_utc(value: object) -> str | None:
    """ISO 8601 UTC (``2025-08-27T10:00:00Z``) from a date, datetime or string; None when absent.

    Raises ``ValueError`` (and nothing else) for anything that is not a date in years 1-9999 once in UTC.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()[:100]
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:  # RFC 2822, as in RSS and e-mail: "Tue, 10 Jun 2025 04:00:00 GMT"
                moment = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError, OverflowError) as error:
                raise ValueError(f"published_at {_shown(value)} is not an ISO 8601 date") from error
    try:
        if moment.tzinfo is None:  # a date without a zone is taken as UTC rather than as local time
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError) as error:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        raise ValueError(f"published_at {_shown(value)} is out of the range of dates") from error
    # Not strftime("%Y"): it writes year 500 as "500", which is no ISO 8601 date.
    return f"{moment.year:04d}-{moment:%m-%dT%H:%M:%S}Z"


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_front_matter_events(block: str, source: str) -> None:
    """Refuse what plain ``key: value`` lines never need: anchors and aliases (a few hundred bytes of nested
    ``&a``/``*a`` expand to gigabytes when loaded), tags, and lists or mappings as values.

    The YAML events are walked before anything is constructed, so a bomb is refused without being expanded.
    """
    import yaml  # here, like in ``_front_matter``: `newsdesk ask` imports this module and parses no YAML (#16)

    depth = 0
    for event in yaml.parse(block, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ArticleParseError(source, "front matter may not use YAML anchors or aliases (&name, *name)")
        if getattr(event, "tag", None) and not isinstance(event, yaml.CollectionStartEvent):
            raise ArticleParseError(source, f"front matter may not use YAML tags ({event.tag})")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > 1:
                raise ArticleParseError(source, "front-matter values must be plain text, not lists or mappings")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _front_matter(text: str, source: str) -> tuple[dict[str, object], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    import yaml

    if match.end() > MAX_FRONT_MATTER_CHARS:
        raise ArticleParseError(
            source, f"front matter is {match.end():,} characters, over the {MAX_FRONT_MATTER_CHARS:,}-character limit"
        )
    try:
        _check_front_matter_events(match.group(1), source)
        fields = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as error:
        raise ArticleParseError(source, f"front matter is not valid YAML ({error})") from error
    if not isinstance(fields, dict) or not set(fields) <= _FRONT_MATTER_KEYS:
        unknown = sorted(set(fields) - _FRONT_MATTER_KEYS) if isinstance(fields, dict) else fields
        raise ArticleParseError(source, f"unknown front-matter keys {unknown}; allowed: {sorted(_FRONT_MATTER_KEYS)}")
    return fields, text[match.end() :]


def build_article(
    *,
    title: str,
    paragraphs: list[str],
    source: str,
    url: str | None = None,
    canonical_url: str | None = None,
    published_at: object = None,
    author: str | None = None,
    claims: Iterable[Claim] = (),
    site_name: str | None = None,
    evidence: tuple[Evidence, ...] = (),
) -> Article:
    """An ``Article`` from parsed parts: trailing syndication footers leave the body and become provenance.

    ``claims`` are what the format's metadata says (canonical link, JSON-LD, feed, declared source); the
    footer, the body's dateline and copyright lines and the URL add theirs, and the strongest claim for
    each role names the original outlet and the publisher (``ingest.provenance.decide``).
    """
    title, source = clean_text(title), clean_text(source)
    author, url, canonical_url, site_name = (clean_text(v) if v else v for v in (author, url, canonical_url, site_name))
    paragraphs = [p.strip() for p in (clean_text(p) for p in paragraphs if p) if p.strip()]
    if (size := sum(map(len, paragraphs))) > MAX_BODY_CHARS:
        raise ArticleParseError(
            source, f"the article text is {size:,} characters, over the {MAX_BODY_CHARS:,}-character limit per article"
        )
    body_paragraphs, footer_claims, footer_text = split_footer(paragraphs)
    if not body_paragraphs:
        raise ArticleParseError(source, "no body text" + (" after the headline" if title else ""))
    body = "\n\n".join(body_paragraphs)
    try:
        published = to_iso_utc(published_at)
    except ValueError as error:
        raise ArticleParseError(source, str(error)) from error
    every_claim = [*footer_claims, *body_claims(body), *claims]
    if host := publisher_from_url(url):
        every_claim.append(Claim(Evidence("url-host", url or ""), host, STRENGTH["url"], "publisher"))
    publisher, original, found = decide(every_claim)
    return Article(
        id=article_id(body),
        title=title.strip() or body_paragraphs[0][:120],
        body=body,
        source_path=source,
        url=url,
        published_at=published,
        author=author,
        publisher=publisher,
        original=original,
        footer="\n\n".join(footer_text) or None,
        evidence=found + tuple(e for e in evidence if e not in found),
        canonical_url=canonical_url if canonical_url and canonical_url != url else None,
        site_name=site_name,
    )


def parse_text(text: str, source: str) -> Article:
    """Parse the plain-text article format (see the module docstring)."""
    fields, text = _front_matter(text.replace("\r\n", "\n").replace("\r", "\n"), source)
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    if fields.get("title"):
        title = str(fields["title"]).strip()
    elif paragraphs:
        title = paragraphs.pop(0)
    else:
        raise ArticleParseError(source, "empty file, no headline or body")
    claims = []
    if fields.get("publisher"):
        name = str(fields["publisher"]).strip()
        site = ref_from_domain(name) if "." in name else None
        declared = OutletRef(name=name, domain=site.domain if site else None)
        claims.append(Claim(Evidence("declared-publisher", name), declared, STRENGTH["declared"], "publisher"))
    return build_article(
        title=title,
        paragraphs=paragraphs,
        source=source,
        url=str(fields["url"]).strip() if fields.get("url") else None,
        published_at=fields.get("published_at"),
        author=str(fields["author"]) if fields.get("author") else None,
        claims=claims,
    )


def decode_text(raw: bytes, source: str, charset: str | None = None) -> str:
    """Text from bytes: binary data and invalid UTF-8 (or the declared charset) get a clear error."""
    if b"\x00" in raw[:8192]:
        raise ArticleParseError(source, "binary file, not text")
    try:
        # NUL further in (and other control characters) is dropped rather than refused: see clean_text.
        return clean_text(raw.decode(charset or "utf-8-sig"))
    except (UnicodeDecodeError, LookupError) as error:
        where = f" (byte {error.start})" if isinstance(error, UnicodeDecodeError) else ""
        # Guessing the encoding of a short text is unreliable (Latin-1 reads as cp1250), so say how to fix it.
        fix = "" if charset else "; save it as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8)"
        raise ArticleParseError(source, f"not valid {charset or 'UTF-8'}{where}{fix}") from error


def check_file_size(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        raise ArticleParseError(path, "empty file")
    if size > MAX_FILE_BYTES:
        raise ArticleParseError(path, f"{size / 1e6:.0f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")


def read_article_file(path: Path) -> Article:
    """Read one plain-text article file; raises ``ArticleParseError`` with a reason the user can act on."""
    source = str(path)
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise ArticleParseError(source, f"unsupported file type {path.suffix or '(none)'!r}; expected .txt or .md")
    check_file_size(path)
    return parse_text(decode_text(path.read_bytes(), source), source)
