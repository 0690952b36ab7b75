"""The only module that talks to Chroma. The rest of the code sees ``Chunk``, ``Passage`` and ``ArticleRecord``.

Three collections share one identity: ``news_<hash>`` holds the chunks with their vectors,
``news_<hash>_articles`` one record per fully ingested article (its body and facts), and
``news_<hash>_publications`` one record per location (URL or file) pointing at the article found there,
so that a syndicated text published at two places is one article with two publications. An article
counts as ingested only once its record exists, and its record is written after all its chunks went
in with a single upsert; a run interrupted in between leaves chunks without a record, which the next
ingest of that article replaces. Ids are content hashes, so a re-ingest changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import chromadb
import chromadb.errors
import numpy as np
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_core.embeddings import Embeddings

from ingest.articles import to_iso_utc
from ingest.domains import host_of, outlet_name
from ingest.embedder import DIMENSION
from ingest.settings import IngestSettings
from ingest.snapshot import collection_name, new_revision  # collection_name: here before #16, still importable
from ingest.types import Article, ArticleRecord, Chunk, Evidence, OutletRef, Passage, Publication

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Chroma rejects a single add of more than its max batch size (5,461 in 1.5.x).
_MAX_UPSERT = 5000
#: Record ids passed in one ``$nin`` filter; SQLite allows 32,766 bound values per statement.
_MAX_NIN = 10_000


class StoreUnavailable(RuntimeError):
    """Chroma could not be opened or reached; the message says where it was looked for."""


def open_client(settings: IngestSettings) -> ClientAPI:
    """A Chroma client: an HTTP client for ``chroma_url``, else an on-disk store under ``data_dir``."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        from urllib.parse import urlsplit

        parts = urlsplit(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or (443 if parts.scheme == "https" else 8000),
                ssl=parts.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as error:  # chromadb raises plain ValueError/ConnectError variants here
            raise StoreUnavailable(f"cannot reach the Chroma server at {settings.chroma_url}: {error}") from error
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _ref_metadata(prefix: str, ref: OutletRef | None) -> dict[str, str]:
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


def _article_metadata(article: Article) -> dict[str, Any]:
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
    fields |= _ref_metadata("publisher", article.publisher) | _ref_metadata("original", article.original)
    return fields


def _record_metadata(article: Article, chunk_count: int, minhash: str) -> dict[str, Any]:
    extra = {
        "chunk_count": chunk_count,
        "minhash": minhash,
        "evidence": json.dumps([[e.rule, e.text] for e in article.evidence], ensure_ascii=False),
    }
    for name in ("author", "canonical_url", "site_name", "footer"):
        if value := getattr(article, name):
            extra[name] = value
    return _article_metadata(article) | extra


def location_id(location: str) -> str:
    return "l-" + hashlib.sha1(location.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class ChunkExport:
    """All chunks of a collection, in one order: ``vectors[i]`` embeds ``passages[i].text``."""

    ids: list[str]
    passages: list[Passage]
    vectors: np.ndarray


def _passage(chunk_id: str, text: str | None, meta: dict[str, Any] | None, score: float) -> Passage:
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


def _record(article_id: str, meta: dict[str, Any] | None) -> ArticleRecord:
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


def _retrying(read: Callable[[], T], attempts: int = 8) -> T:
    """``read()``, again after a short pause when Chroma fails because another process wrote in between
    (``InternalError: Error finding id``: a row deleted between its metadata and its vector lookups)."""
    for attempt in range(1, attempts + 1):
        try:
            return read()
        except chromadb.errors.InternalError:
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


class ChunkStore:
    """Chunks and article records of one collection identity, embedded with the given ``Embeddings``."""

    def __init__(self, client: ClientAPI, embeddings: Embeddings, name: str, *, metadata: dict[str, Any]) -> None:
        self._embeddings = embeddings
        self._chunks = client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata
        )
        # Article records need no similarity search; a constant 1-d vector satisfies Chroma.
        self._articles = client.get_or_create_collection(f"{name}_articles", embedding_function=None)
        self._publications = client.get_or_create_collection(f"{name}_publications", embedding_function=None)
        self.name = name
        #: The on-disk store's folder, whose revision each write renews first (``ingest.snapshot``); None: a server.
        self.revision_dir: Path | None = None

    def _before_write(self) -> None:
        if self.revision_dir is not None:
            new_revision(self.revision_dir, durable=False)

    @classmethod
    def open(
        cls, settings: IngestSettings, embeddings: Embeddings, *, embedding_model: str, tokenizer: str
    ) -> ChunkStore:
        name = collection_name(embedding_model, tokenizer, settings.chunk_tokens, settings.chunk_overlap)
        metadata = {
            "embedding_model": embedding_model,
            "tokenizer": tokenizer,
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap": settings.chunk_overlap,
            "chromadb": importlib.metadata.version("chromadb"),
        }
        try:
            store = cls(open_client(settings), embeddings, name, metadata=metadata)
            store.revision_dir = None if settings.chroma_url else settings.chroma_dir
            return store
        except StoreUnavailable:
            raise
        except Exception as error:
            where = settings.chroma_url or settings.chroma_dir
            raise StoreUnavailable(f"cannot open the Chroma store at {where}: {error}") from error

    def has_article(self, article_id: str) -> bool:
        return bool(self._articles.get(ids=[article_id], include=[])["ids"])

    def add_article(self, article: Article, chunks: list[Chunk], *, minhash: str = "") -> bool:
        """Store an article and its chunks; False (and no embedding) when it is already complete."""
        if self.has_article(article.id):
            return False
        self._before_write()
        self._chunks.delete(where={"article_id": article.id})  # leftovers of an interrupted run
        vectors = self._embeddings.embed_documents([chunk.text for chunk in chunks])
        base = _article_metadata(article)
        metadatas = [base | {"chunk_index": c.index, "start": c.start, "end": c.end} for c in chunks]
        for begin in range(0, len(chunks), _MAX_UPSERT):
            part = slice(begin, begin + _MAX_UPSERT)
            self._chunks.upsert(
                ids=[c.id for c in chunks[part]],
                embeddings=vectors[part],
                documents=[c.text for c in chunks[part]],
                metadatas=metadatas[part],
            )
        record = _record_metadata(article, len(chunks), minhash)
        self._articles.upsert(ids=[article.id], embeddings=[[1.0]], documents=[article.body], metadatas=[record])
        return True

    def sweep_orphans(self) -> list[str]:
        """Delete chunks whose article has no record: what a run killed between writing an article's chunks and
        its record leaves behind (``ask`` would cite them, ``sources`` and ``remove`` never see them). Only safe
        while no other process writes (the caller holds the data directory's writer lock). Returns their ids."""
        records = self._articles.get(include=[])["ids"]
        if len(records) <= _MAX_NIN:
            where = {"article_id": {"$nin": records}} if records else None
            found = self._chunks.get(where=where, include=["metadatas"])
            orphan_chunks = list(zip(found["ids"], found["metadatas"] or [], strict=True))
        else:  # too many ids for one query: compare page by page
            known, orphan_chunks = set(records), []
            for offset in range(0, self._chunks.count(), _MAX_UPSERT):
                page = self._chunks.get(include=["metadatas"], limit=_MAX_UPSERT, offset=offset)
                orphan_chunks += [(i, m) for i, m in zip(page["ids"], page["metadatas"] or [], strict=True)
                                  if (m or {}).get("article_id") not in known]
        if orphan_chunks:
            self._before_write()
        for begin in range(0, len(orphan_chunks), _MAX_UPSERT):
            self._chunks.delete(ids=[i for i, _ in orphan_chunks[begin:begin + _MAX_UPSERT]])
        orphans = sorted({str((m or {}).get("article_id")) for _, m in orphan_chunks})
        if orphans:
            logger.warning("removed %d chunks of %d articles an interrupted ingest left without a record: %s",
                           len(orphan_chunks), len(orphans), ", ".join(orphans[:5]))
        return orphans

    def delete_article(self, article_id: str) -> bool:
        """Remove an article, its chunks and its publications; False when it was not there."""
        existed = self.has_article(article_id) or bool(
            self._chunks.get(where={"article_id": article_id}, limit=1, include=[])["ids"]
        )
        self._before_write()
        self._chunks.delete(where={"article_id": article_id})
        self._publications.delete(where={"article_id": article_id})
        self._articles.delete(ids=[article_id])
        return existed

    def set_publication(self, article: Article | ArticleRecord) -> None:
        """Record that ``article.location`` now holds ``article`` (replacing what it held before)."""
        meta = {"location": article.location, "article_id": article.id, "source_path": article.source_path}
        if article.url:
            meta["url"] = article.url
        meta |= _ref_metadata("publisher", article.publisher)
        self._before_write()
        self._publications.upsert(ids=[location_id(article.location)], embeddings=[[1.0]], metadatas=[meta])

    def delete_publication(self, location: str) -> None:
        """Forget that ``location`` published its article (the article stays for its other locations)."""
        self._before_write()
        self._publications.delete(ids=[location_id(location)])

    def publications(self, article_id: str | None = None) -> list[Publication]:
        """Every location and the article it holds (of one article, when ``article_id`` is given)."""
        found = self._publications.get(where={"article_id": article_id} if article_id else None, include=["metadatas"])
        return [
            Publication(location=str(m.get("location", "")), article_id=str(m.get("article_id", "")),
                        url=_stored_url(m), publisher=_ref_from(m, "publisher"),
                        source_path=str(m.get("source_path", "")))
            for m in found["metadatas"] or [] if m
        ]

    def signatures(self) -> dict[str, str]:
        """The MinHash signature (hex) of every stored article, for near-duplicate detection."""
        found = self._articles.get(include=["metadatas"])
        return {i: str((m or {}).get("minhash", "")) for i, m in
                zip(found["ids"], found["metadatas"] or [], strict=True)}

    def set_signature(self, article_id: str, minhash: str) -> None:
        """Replace a stored article's MinHash signature (hex), e.g. one written by an older scheme."""
        found = self._articles.get(ids=[article_id], include=["metadatas"])
        if found["ids"]:
            metadata = dict(found["metadatas"][0] or {}) | {"minhash": minhash}
            self._before_write()
            self._articles.update(ids=[article_id], metadatas=[metadata])

    def article_evidence(self, article_id: str) -> tuple[Evidence, ...]:
        found = self._articles.get(ids=[article_id], include=["metadatas"])
        if not found["ids"]:
            return ()
        try:
            rows = json.loads((found["metadatas"][0] or {}).get("evidence", "[]"))
            return tuple(Evidence(str(rule), str(text)) for rule, text in rows)
        except (TypeError, ValueError, RecursionError):
            logger.warning("stored evidence of %s is not readable; read as none", article_id)
            return ()

    def article(self, article_id: str) -> ArticleRecord | None:
        found = self._articles.get(ids=[article_id], include=["metadatas"])
        return _record(found["ids"][0], found["metadatas"][0]) if found["ids"] else None

    def article_body(self, article_id: str) -> str | None:
        found = self._articles.get(ids=[article_id], include=["documents"])
        return found["documents"][0] if found["ids"] and found["documents"] else None

    def articles(self) -> list[ArticleRecord]:
        found = self._articles.get(include=["metadatas"])
        records = [_record(i, m) for i, m in zip(found["ids"], found["metadatas"] or [], strict=True)]
        return sorted(records, key=lambda r: (r.published_at or "", r.title))

    def count_chunks(self) -> int:
        return self._chunks.count()

    def chunk_ids(self) -> list[str]:
        return list(self._chunks.get(include=[])["ids"])

    def export_chunks(self, batch: int = 5000) -> ChunkExport:
        """Every chunk with its vector, for in-memory indexes (BM25, exact dense scoring) built beside Chroma.

        Another process may write while the pages are read: pages are read until one comes back short (not up
        to a count taken before, which a concurrent delete makes too high), and a chunk that a concurrent insert
        shifts into a second page is kept once. The result is then a consistent set of chunks, maybe not the
        newest: the index's fingerprint is of these ids, so the next check sees the difference and rebuilds."""
        ids: list[str] = []
        passages: list[Passage] = []
        vectors: list[np.ndarray] = []
        seen: set[str] = set()
        offset = 0
        while True:
            found = _retrying(partial(self._chunks.get, include=["documents", "metadatas", "embeddings"],
                                      limit=batch, offset=offset))
            rows = zip(found["ids"], found["documents"] or [], found["metadatas"] or [],
                       found["embeddings"] if found["embeddings"] is not None else [], strict=True)
            for chunk_id, text, meta, vector in rows:
                if chunk_id not in seen:
                    seen.add(chunk_id)
                    ids.append(chunk_id)
                    passages.append(_passage(chunk_id, text, meta, 0.0))
                    vectors.append(np.asarray(vector, dtype=np.float32))
            if len(found["ids"]) < batch:
                break
            offset += batch
        matrix = np.vstack(vectors) if vectors else np.zeros((0, DIMENSION), dtype=np.float32)
        return ChunkExport(ids=ids, passages=passages, vectors=matrix)

    def search(self, query: str, k: int, where: dict[str, Any] | None = None) -> list[Passage]:
        """The ``k`` chunks closest to ``query`` (cosine), best first, as ``Passage`` values."""
        if k <= 0 or self._chunks.count() == 0:
            return []
        vector = self._embeddings.embed_query(query)
        found = _retrying(partial(
            self._chunks.query, query_embeddings=[vector], n_results=k, where=where,
            include=["documents", "metadatas", "distances"],
        ))
        rows: Iterable[tuple[str, str, dict[str, Any], float]] = zip(
            found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        )
        passages = [_passage(chunk_id, text, meta, 1.0 - float(distance)) for chunk_id, text, meta, distance in rows]
        return sorted(passages, key=lambda p: p.score, reverse=True)
