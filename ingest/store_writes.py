"""Writing articles into Chroma, several at a time: what ``ChunkStore.write_articles`` sends, and in which order.

Each Chroma write (an upsert, a delete, a metadata change) costs about the same whatever it carries: on disk a
SQLite commit and the log of the vector index, about 40 ms for one small row against a few ms more for a hundred
chunks. Writing each article's chunks, stale-chunk check, record, publication and change token one by one cost the
full-corpus ingest about a fifth of its time (#14, docs/benchmarks.md "Where the ingest time goes"), so the
pipeline writes its new articles in groups. The order inside a group keeps an article's record its commit marker:
every chunk of every article in the group first, then their records, so a run killed in between leaves chunks
without records (which the next sweep removes) and never a record without all its chunks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ingest.store_records import article_metadata, record_metadata
from ingest.types import Article, Chunk


@dataclass(frozen=True, slots=True)
class PreparedArticle:
    """An article's rows, embedded and ready to write: its chunks (ids, vectors, texts, metadata) and its record."""

    article_id: str
    chunk_ids: list[str]
    vectors: list[list[float]]
    texts: list[str]
    chunk_metadatas: list[dict[str, Any]]
    body: str
    record: dict[str, Any]


def prepared_article(article: Article, chunks: list[Chunk], vectors: list[list[float]],
                     minhash: str) -> PreparedArticle:
    """``article`` and its embedded ``chunks`` as the rows they are written as (``written_at`` is added on write)."""
    base = article_metadata(article)
    return PreparedArticle(
        article_id=article.id,
        chunk_ids=[c.id for c in chunks],
        vectors=vectors,
        texts=[c.text for c in chunks],
        chunk_metadatas=[base | {"chunk_index": c.index, "start": c.start, "end": c.end} for c in chunks],
        body=article.body,
        record=record_metadata(article, len(chunks), minhash),
    )


def write_chunks_then_records(chunks: Any, records: Any, articles: list[PreparedArticle], *, max_upsert: int) -> None:
    """Every chunk of ``articles`` (in upserts of at most ``max_upsert`` rows), then every record in one upsert.

    Before the records, chunks of these articles under other ids go: leftovers of an interrupted run with an older
    chunker. Rows with our ids are ours whoever wrote them, so a concurrent writer of the same article loses nothing.
    ``written_at`` is the time of this write, which a sweep on a server compares with its grace period."""
    written = {"written_at": int(time.time())}
    ids = [i for a in articles for i in a.chunk_ids]
    vectors = [v for a in articles for v in a.vectors]
    texts = [t for a in articles for t in a.texts]
    metadatas = [m | written for a in articles for m in a.chunk_metadatas]
    for begin in range(0, len(ids), max_upsert):
        part = slice(begin, begin + max_upsert)
        chunks.upsert(ids=ids[part], embeddings=vectors[part], documents=texts[part], metadatas=metadatas[part])
    ours = set(ids)
    article_ids = [a.article_id for a in articles]
    found = chunks.get(where={"article_id": {"$in": article_ids}}, include=[])["ids"]
    if stale := [i for i in found if i not in ours]:
        chunks.delete(ids=stale)
    records.upsert(ids=article_ids, embeddings=[[1.0]] * len(articles), documents=[a.body for a in articles],
                   metadatas=[a.record | written for a in articles])
