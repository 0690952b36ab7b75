"""How our types are written into Chroma metadata and read back: ``Article`` → chunk and record metadata,
metadata → ``Passage``/``ArticleRecord``. Stored values are checked on the way out, because a collection on a
shared server (or one written by an older version, or by hand) may hold anything; a bad value is read as unknown.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from ingest.articles import to_iso_utc
from ingest.domains import host_of, outlet_name
from ingest.types import Article, ArticleRecord, OutletRef, Passage, Publication

logger = logging.getLogger("ingest.store")


def ref_metadata(prefix: str, ref: OutletRef | None) -> dict[str, str]:
    if ref is None:
        return {}
    fields = {f"{prefix}_name": ref.name}
    if ref.domain:
        fields[f"{prefix}_domain"] = ref.domain
    return fields


def clean_ref(ref: OutletRef | None) -> OutletRef | None:
    """``ref`` with a printable name and a valid host name as domain (None for a bad domain); None without a name."""
    if ref is None or (name := outlet_name(ref.name)) is None:
        return None
    domain = host_of(ref.domain) if ref.domain else None
    return ref if (name, domain) == (ref.name, ref.domain) else OutletRef(name=name, domain=domain)


def _ref_from(metadata: dict[str, Any], prefix: str) -> OutletRef | None:
    # Records written by older versions (or by hand) may hold anything: a bad value is shown as unknown.
    name, domain = metadata.get(f"{prefix}_name"), metadata.get(f"{prefix}_domain")
    if name is None:
        return None
    ref = clean_ref(OutletRef(name=str(name), domain=domain if isinstance(domain, str) else None))
    if ref is None or ref.name != name or ref.domain != domain:
        logger.warning("stored %s outlet %r (domain %r) is not valid; read as %s", prefix, name, domain, ref)
    return ref


def _stored_date(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("published_at")
    if value is None:
        return None
    try:
        if isinstance(value, str) and to_iso_utc(value) == value:
            return value
    except ValueError:
        pass
    logger.warning("stored published_at %r of %s is not a valid date; read as none", value, metadata.get("article_id"))
    return None


def _stored_int(metadata: dict[str, Any], key: str, default: int) -> int:
    value = metadata.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _stored_str(metadata: dict[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    return value if isinstance(value, str) and value else None


def _stored_url(metadata: dict[str, Any]) -> str | None:
    url = _stored_str(metadata, "url")
    if url is None or (url.lower().startswith(("http://", "https://")) and host_of(url)):
        return url
    logger.warning("stored url %r of %s is not a valid http(s) URL; read as none", url, metadata.get("article_id"))
    return None


def article_metadata(article: Article) -> dict[str, Any]:
    """What every chunk carries about its article (filterable in Chroma ``where`` clauses)."""
    fields: dict[str, Any] = {"article_id": article.id, "title": article.title, "source_path": article.source_path}
    if article.url:
        fields["url"] = article.url
    if article.published_at:
        fields["published_at"] = article.published_at
        # An integer twin of the date, because Chroma compares only numbers with $gte/$lte.
        fields["published_ts"] = int(datetime.fromisoformat(article.published_at).timestamp())
    if article.duplicate_of:
        fields["duplicate_of"] = article.duplicate_of
    fields |= ref_metadata("publisher", article.publisher) | ref_metadata("original", article.original)
    return fields


def record_metadata(article: Article, chunk_count: int, minhash: str) -> dict[str, Any]:
    extra = {
        "chunk_count": chunk_count,
        "minhash": minhash,
        "evidence": json.dumps([[e.rule, e.text] for e in article.evidence], ensure_ascii=False),
    }
    for name in ("author", "canonical_url", "site_name", "footer"):
        if value := getattr(article, name):
            extra[name] = value
    return article_metadata(article) | extra


def publication_metadata(article: Article | ArticleRecord) -> dict[str, Any]:
    """The row of a location's publication: where, which article, and the outlet that published it there."""
    meta: dict[str, Any] = {"location": article.location, "article_id": article.id, "source_path": article.source_path}
    if article.url:
        meta["url"] = article.url
    return meta | ref_metadata("publisher", article.publisher)


def passage_from(chunk_id: str, text: str | None, meta: dict[str, Any] | None, score: float) -> Passage:
    meta, text = meta or {}, text or ""
    start = _stored_int(meta, "start", 0)
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        text=text,
        start=start,
        end=_stored_int(meta, "end", start + len(text)),
        title=str(meta.get("title", "")),
        url=_stored_url(meta),
        published_at=_stored_date(meta),
        publisher=_ref_from(meta, "publisher"),
        original=_ref_from(meta, "original"),
        score=score,
        duplicate_of=_stored_str(meta, "duplicate_of"),
    )


def record_from(article_id: str, meta: dict[str, Any] | None) -> ArticleRecord:
    meta = meta or {}
    return ArticleRecord(
        id=article_id,
        title=str(meta.get("title", "")),
        url=_stored_url(meta),
        published_at=_stored_date(meta),
        publisher=_ref_from(meta, "publisher"),
        original=_ref_from(meta, "original"),
        chunk_count=_stored_int(meta, "chunk_count", 0),
        source_path=str(meta.get("source_path", "")),
        duplicate_of=_stored_str(meta, "duplicate_of"),
        location=str(meta.get("canonical_url") or meta.get("url") or meta.get("source_path", "")),
    )



def publication_from(meta: dict[str, Any]) -> Publication:
    return Publication(location=str(meta.get("location", "")), article_id=str(meta.get("article_id", "")),
                       url=_stored_url(meta), publisher=_ref_from(meta, "publisher"),
                       source_path=str(meta.get("source_path", "")))
