"""The only module that talks to Chroma. The rest of the code sees ``Chunk``, ``Passage`` and ``ArticleRecord``.

Three collections share one identity: ``news_<hash>`` holds the chunks with their vectors,
``news_<hash>_articles`` one record per fully ingested article (its body and facts), and
``news_<hash>_publications`` one record per location (URL or file) pointing at the article found there,
so that a syndicated text published at two places is one article with two publications. An article
counts as ingested only once its record exists, and its record is written after all its chunks went
in; an ingest writes its new articles in groups (``write_articles``, ``ingest.store_writes``), every chunk
of the group before any of its records, so a run interrupted in between leaves chunks without a record,
which the next sweep removes. Ids are content hashes, so a re-ingest changes nothing, and two machines
writing the same article into one server write the same rows. Every write ends by replacing a change
token in the chunk collection's metadata, which long-running readers compare (``ChunkStore.revision``).
How our types map to metadata is in ``ingest.store_records``; opening Chroma in ``ingest.store_client``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import chromadb.errors
import numpy as np
from chromadb.api import ClientAPI
from langchain_core.embeddings import Embeddings

from ingest.embedder import DIMENSION
from ingest.settings import IngestSettings
from ingest.snapshot import collection_name, new_revision  # collection_name: here before #16, still importable
from ingest.store_client import (
    GuardedCollection,
    StoreUnavailable,
    close_client,
    guarded,
    open_client,
    opened_client,
    where,
)
from ingest.store_records import (
    clean_ref,
    passage_from,
    publication_from,
    publication_metadata,
    record_from,
)
from ingest.store_writes import PreparedArticle, prepared_article, write_chunks_then_records
from ingest.types import Article, ArticleRecord, Chunk, Evidence, Passage, Publication

# Re-exported: callers import these from the store module, the one door to Chroma.
__all__ = ["ChunkStore", "PreparedArticle", "StoreRevision", "StoreUnavailable", "clean_ref", "close_client",
           "collection_name", "open_client", "opened_client"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Chroma rejects a single add of more than its max batch size (5,461 in 1.5.x).
_MAX_UPSERT = 5000
#: Record ids passed in one ``$nin`` filter; SQLite allows 32,766 bound values per statement.
_MAX_NIN = 10_000
#: The collection metadata key holding the change token (see ``ChunkStore.revision``).
REVISION_KEY = "revision"
#: On a server, how old (seconds) chunks without a record must be before a sweep takes them for a killed
#: writer's leftovers. A live writer puts an article's record in within a second of its chunks; ten minutes
#: leaves room for a slow machine and for clocks that differ between machines.
ORPHAN_GRACE_SECONDS = 600.0


def _written_at(metadata: dict[str, Any] | None) -> float:
    value = (metadata or {}).get("written_at", 0)  # chunks of older versions have none: as old as can be
    return float(value) if isinstance(value, int | float) else 0.0


def location_id(location: str) -> str:
    return "l-" + hashlib.sha1(location.encode()).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class ChunkExport:
    """All chunks of a collection, in one order: ``vectors[i]`` embeds ``passages[i].text``."""

    ids: list[str]
    passages: list[Passage]
    vectors: np.ndarray



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


@dataclass(frozen=True, slots=True)
class StoreRevision:
    """What a reader compares to see whether the collection changed: the token every writer replaces after
    its write, and the counts (which also catch a writer of an older version that does not replace it)."""

    token: str
    chunks: int
    articles: int


class ChunkStore:
    """Chunks and article records of one collection identity, embedded with the given ``Embeddings``.

    ``shared`` (a Chroma server) means other processes, on other machines, may write at the same time: no
    lock in a data directory covers them, so every write is idempotent (content-hash ids, upserts), an
    article's record is its commit marker (written after its chunks, deleted before them), and leftovers of
    a killed writer are only swept once they are ``orphan_grace`` seconds old, never while another writer
    may be between the two writes of an article.
    """

    def __init__(self, client: ClientAPI, embeddings: Embeddings, name: str, *, metadata: dict[str, Any],
                 settings: IngestSettings) -> None:
        self._embeddings = embeddings
        self._client = client
        self._metadata = metadata
        self._settings = settings
        self.shared = bool(self._settings.chroma_url)
        self.orphan_grace = ORPHAN_GRACE_SECONDS if self.shared else 0.0

        def collection(*args: Any, **kwargs: Any) -> Any:
            return GuardedCollection(client.get_or_create_collection(*args, **kwargs), self._settings)

        self._chunks = collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}, metadata=metadata
        )
        # Article records need no similarity search; a constant 1-d vector satisfies Chroma.
        self._articles = collection(f"{name}_articles", embedding_function=None)
        self._publications = collection(f"{name}_publications", embedding_function=None)
        self.name = name
        #: The on-disk store's folder, whose revision each write renews first (``ingest.snapshot``); None: a server.
        self.revision_dir: Path | None = None if self.shared else settings.chroma_dir

    def _before_write(self) -> None:
        if self.revision_dir is not None:
            new_revision(self.revision_dir, durable=False)

    @classmethod
    def open(
        cls, settings: IngestSettings, embeddings: Embeddings, *, embedding_model: str, tokenizer: str,
        prefix: str = "news",
    ) -> ChunkStore:
        """The collection identity the settings select; ``prefix`` names a separate one (``collection_name``)."""
        name = collection_name(embedding_model, tokenizer, settings.chunk_tokens, settings.chunk_overlap,
                               prefix=prefix)
        metadata = {
            "embedding_model": embedding_model,
            "tokenizer": tokenizer,
            "chunk_tokens": settings.chunk_tokens,
            "chunk_overlap": settings.chunk_overlap,
            "chromadb": importlib.metadata.version("chromadb"),
        }
        client = open_client(settings)
        try:
            return cls(client, embeddings, name, metadata=metadata, settings=settings)
        except StoreUnavailable:
            close_client(client)
            raise
        except Exception as error:
            close_client(client)
            raise StoreUnavailable(f"cannot open the Chroma store at {where(settings)}: {error}") from error

    def close(self) -> None:
        """Let go of the Chroma client: a server's HTTP connections are closed, an on-disk store's files released.
        The store cannot be used afterwards; closing twice is harmless."""
        close_client(self._client)

    def revision(self) -> StoreRevision:
        """The collection's change token and counts: three small reads, cheap enough to ask every few seconds."""
        metadata = guarded(self._settings, lambda: self._client.get_collection(self.name).metadata) or {}
        return StoreRevision(str(metadata.get(REVISION_KEY, "")), self._chunks.count(), self._articles.count())

    def _changed(self) -> None:
        # Written after the change it announces, so a reader that saw the old token reads the change next time.
        # Any unique value will do (no read-modify-write), so two writers at once cannot lose an announcement.
        self._chunks.modify(metadata=self._metadata | {REVISION_KEY: uuid.uuid4().hex})

    def has_article(self, article_id: str) -> bool:
        return bool(self._articles.get(ids=[article_id], include=[])["ids"])

    def is_settled(self, article_id: str) -> bool:
        """Whether an article's record is old enough that no live writer can still be working on it
        (always, for an on-disk store: its writers hold the data directory's lock)."""
        if not self.shared:
            return True
        found = self._articles.get(ids=[article_id], include=["metadatas"])
        written = (found["metadatas"][0] or {}).get("written_at", 0) if found["ids"] and found["metadatas"] else 0
        return not isinstance(written, int | float) or written <= time.time() - self.orphan_grace

    def add_article(self, article: Article, chunks: list[Chunk], *, minhash: str = "") -> bool:
        """Store an article and its chunks; False (and no embedding) when it is already complete.

        Safe to run twice at once (two machines ingesting the same text) and to kill at any moment: the chunk
        ids are content hashes, so both writers upsert the same rows, and the record goes in last."""
        prepared = self.prepare_article(article, chunks, minhash=minhash)
        if prepared is None:
            return False
        self.write_articles([prepared])
        return True

    def prepare_article(self, article: Article, chunks: list[Chunk], *, minhash: str = "") -> PreparedArticle | None:
        """An article's rows, its chunks embedded, for ``write_articles``; None (nothing embedded) when the
        article is already complete in the store."""
        if self.has_article(article.id):
            return None
        vectors = self._embeddings.embed_documents([chunk.text for chunk in chunks])
        return prepared_article(article, chunks, vectors, minhash)

    def write_articles(self, articles: list[PreparedArticle], publications: Iterable[Article] = ()) -> None:
        """Write prepared articles together, then the given publications: one chunk upsert for all their chunks,
        then one record upsert, so that a kill in between leaves every article wholly absent (its chunks without
        a record: the sweep's orphans) or wholly present. Each Chroma write has a fixed cost that dwarfs its rows
        (about 40 ms on disk, see docs/benchmarks.md "Where the ingest time goes"), hence together."""
        publications = list(publications)
        if not articles and not publications:
            return
        self._before_write()
        if articles:
            write_chunks_then_records(self._chunks, self._articles, articles, max_upsert=_MAX_UPSERT)
        if publications:
            self._upsert_publications(publications)
        self._changed()

    def sweep_orphans(self) -> list[str]:
        """Delete chunks whose article has no record: what a run killed between writing an article's chunks and
        its record leaves behind (``ask`` would cite them, ``sources`` and ``remove`` never see them). On an
        on-disk store the caller holds the data directory's writer lock, so every such chunk is a leftover; on
        a server only those written ``orphan_grace`` seconds ago or earlier are (younger ones may belong to a
        writer on another machine between its two writes). Returns the ids of their articles."""
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
        if self.shared:
            cutoff = time.time() - self.orphan_grace
            orphan_chunks = [(i, m) for i, m in orphan_chunks if _written_at(m) <= cutoff]
        if orphan_chunks:
            self._before_write()
        for begin in range(0, len(orphan_chunks), _MAX_UPSERT):
            self._chunks.delete(ids=[i for i, _ in orphan_chunks[begin:begin + _MAX_UPSERT]])
        orphans = sorted({str((m or {}).get("article_id")) for _, m in orphan_chunks})
        if orphans:
            self._changed()
            logger.warning("removed %d chunks of %d articles an interrupted ingest left without a record: %s",
                           len(orphan_chunks), len(orphans), ", ".join(orphans[:5]))
        return orphans

    def delete_article(self, article_id: str) -> bool:
        """Remove an article, its chunks and its publications; False when it was not there.

        The record (the commit marker) goes first: a run killed part-way leaves chunks without a record, which
        readers of the record never see and the next sweep removes, never a record without its chunks."""
        existed = self.has_article(article_id) or bool(
            self._chunks.get(where={"article_id": article_id}, limit=1, include=[])["ids"]
        )
        self._before_write()
        self._articles.delete(ids=[article_id])
        self._chunks.delete(where={"article_id": article_id})
        self._publications.delete(where={"article_id": article_id})
        if existed:
            self._changed()
        return existed

    def set_publication(self, article: Article | ArticleRecord) -> None:
        """Record that ``article.location`` now holds ``article`` (replacing what it held before)."""
        self._before_write()
        self._upsert_publications([article])

    def _upsert_publications(self, articles: Sequence[Article | ArticleRecord]) -> None:
        self._publications.upsert(ids=[location_id(a.location) for a in articles], embeddings=[[1.0]] * len(articles),
                                  metadatas=[publication_metadata(a) for a in articles])

    def delete_publication(self, location: str) -> None:
        """Forget that ``location`` published its article (the article stays for its other locations)."""
        self._before_write()
        self._publications.delete(ids=[location_id(location)])

    def publications(self, article_id: str | None = None) -> list[Publication]:
        """Every location and the article it holds (of one article, when ``article_id`` is given)."""
        found = self._publications.get(where={"article_id": article_id} if article_id else None, include=["metadatas"])
        return [publication_from(m) for m in found["metadatas"] or [] if m]

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
        return record_from(found["ids"][0], found["metadatas"][0]) if found["ids"] else None

    def article_body(self, article_id: str) -> str | None:
        found = self._articles.get(ids=[article_id], include=["documents"])
        return found["documents"][0] if found["ids"] and found["documents"] else None

    def article_bodies(self) -> list[tuple[str, str]]:
        """``(id, body)`` of every article, for the bodies saved beside the snapshot (``ingest.article_bodies``)."""
        found = self._articles.get(include=["documents"])
        return [(i, body) for i, body in zip(found["ids"], found["documents"] or [], strict=True) if body is not None]

    def articles(self) -> list[ArticleRecord]:
        found = self._articles.get(include=["metadatas"])
        records = [record_from(i, m) for i, m in zip(found["ids"], found["metadatas"] or [], strict=True)]
        return sorted(records, key=lambda r: (r.published_at or "", r.title))

    def count_chunks(self) -> int:
        return self._chunks.count()

    def chunk_ids(self) -> list[str]:
        return list(self._chunks.get(include=[])["ids"])

    def export_chunks(self, batch: int = 500) -> ChunkExport:
        """Every chunk with its vector, for in-memory indexes (BM25, exact dense scoring) built beside Chroma.

        Read ``batch`` chunks at a time: pages of 5,000 took the export of the 9,214 MultiHop-RAG chunks to a peak
        240 MB above where it started, pages of 500 to 88 MB, in the same time (#14).

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
                    passages.append(passage_from(chunk_id, text, meta, 0.0))
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
        passages = [passage_from(chunk_id, text, meta, 1.0 - float(distance))
                    for chunk_id, text, meta, distance in rows]
        return sorted(passages, key=lambda p: p.score, reverse=True)
