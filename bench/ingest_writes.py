"""Where the ingest time goes: the Chroma writes of a full-corpus ingest, replayed without the embedder.

The chunks, vectors, metadata, records and publications of an ingested collection (by default the evaluation's,
``<data_dir>/eval-multihop``, which ``make eval`` builds) are read once, then written into a fresh on-disk store
the way an ingest writes them, article after article, and timed per kind of Chroma call; then again with one
thing changed per variant. No model is loaded, so the figures are Chroma's alone (#14 item 4).

    .venv/bin/python bench/ingest_writes.py [--collection DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import BENCHMARKS, write_section  # noqa: E402
from bot.settings import BotSettings  # noqa: E402

#: The chunk metadata keys a slim chunk keeps (the rest is the article's, on its record).
SLIM_KEYS = frozenset({"article_id", "chunk_index", "start", "end", "written_at"})


@dataclass(frozen=True)
class Variant:
    name: str
    group: int = 1  # articles per chunk upsert (and per record and publication upsert when above 1)
    chunk_documents: bool = True  # False: the chunk's text in its metadata instead
    record_document: bool = True  # False: the article body in the record's metadata instead
    slim_chunks: bool = False
    stale_get: bool = True
    token_every: int = 1  # the change token renewed every N articles
    fts_off: bool = False  # the documents' full-text index switched off in the collections' schema


VARIANTS = (
    Variant("as before #14 item 4: one article at a time, six calls each"),
    Variant("chunk texts in metadata, no chunk documents", chunk_documents=False),
    Variant("article body in the record's metadata, no record document", record_document=False),
    Variant("chunks carry only article id and positions", slim_chunks=True),
    Variant("no stale-chunk check", stale_get=False),
    Variant("change token once per 64 articles", token_every=64),
    Variant("groups of 16 articles", group=16, token_every=16),
    Variant("groups of 32 articles", group=32, token_every=32),
    Variant("**groups of 64 articles (kept)**", group=64, token_every=64),
    Variant("groups of 64, full-text index off (schema)", group=64, token_every=64, fts_off=True),
    Variant("groups of 64, no documents at all", group=64, token_every=64, chunk_documents=False,
            record_document=False),
)


def export(directory: Path) -> dict[str, dict[str, list[Any]]]:
    """Every row of the three collections of the store in ``directory``, by collection suffix."""
    import chromadb
    from chromadb.config import Settings

    client = chromadb.PersistentClient(path=str(directory / "chroma"), settings=Settings(anonymized_telemetry=False))
    rows: dict[str, dict[str, list[Any]]] = {}
    for collection in client.list_collections():
        kind = "chunks" if not collection.name.endswith(("_articles", "_publications")) else \
            collection.name.rsplit("_", 1)[1]
        found = collection.get(include=["documents", "metadatas", "embeddings"])
        rows[kind] = {"ids": list(found["ids"]), "documents": list(found["documents"] or []),
                      "metadatas": list(found["metadatas"] or []), "embeddings": [list(map(float, e)) for e in
                                                                                  found["embeddings"]]}
    return rows


def replay(rows: dict[str, dict[str, list[Any]]], variant: Variant, folder: Path,
           limit: int) -> tuple[float, float, dict[str, tuple[float, int]]]:
    """(wall s, CPU s, {call kind: (s, calls)}) of writing ``rows`` into a fresh store in ``folder``."""
    import chromadb
    from chromadb import FtsIndexConfig, Schema, VectorIndexConfig
    from chromadb.config import Settings

    chunks_rows, records, publications = rows["chunks"], rows["articles"], rows["publications"]
    by_article: dict[str, list[int]] = defaultdict(list)
    for i, meta in enumerate(chunks_rows["metadatas"]):
        by_article[meta["article_id"]].append(i)
    for indexes in by_article.values():
        indexes.sort(key=lambda i: chunks_rows["metadatas"][i]["chunk_index"])
    publication_of = {m["article_id"]: (i, m) for i, m in zip(publications["ids"], publications["metadatas"],
                                                              strict=True)}
    articles = list(zip(records["ids"], records["documents"], records["metadatas"], strict=True))[:limit or None]
    client = chromadb.PersistentClient(path=str(folder), settings=Settings(anonymized_telemetry=False))
    identity = {"embedding_model": "replay", "tokenizer": "cl100k_base", "chunk_tokens": 200, "chunk_overlap": 30}
    if variant.fts_off:
        no_fts, cosine = Schema(), Schema()
        no_fts.delete_index(config=FtsIndexConfig(), key="#document")
        cosine.delete_index(config=FtsIndexConfig(), key="#document")
        cosine.create_index(config=VectorIndexConfig(space="cosine"))
        chunks = client.create_collection("replay_chunks", schema=cosine, metadata=identity, embedding_function=None)
        record_collection = client.create_collection("replay_articles", schema=no_fts, embedding_function=None)
    else:
        chunks = client.create_collection("replay_chunks", configuration={"hnsw": {"space": "cosine"}},
                                          metadata=identity, embedding_function=None)
        record_collection = client.create_collection("replay_articles", embedding_function=None)
    publication_collection = client.create_collection("replay_publications", embedding_function=None)
    spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])

    def timed(kind: str, call: Callable[..., Any], **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = call(**kwargs)
        spent[kind][0] += time.perf_counter() - started
        spent[kind][1] += 1
        return result

    def chunk_metadata(i: int) -> dict[str, Any]:
        meta = dict(chunks_rows["metadatas"][i])
        if variant.slim_chunks:
            meta = {k: v for k, v in meta.items() if k in SLIM_KEYS}
        return meta if variant.chunk_documents else meta | {"text": chunks_rows["documents"][i]}

    def write(group: list[tuple[str, str, dict[str, Any]]]) -> None:
        rows_of = [i for article_id, _, _ in group for i in by_article[article_id]]
        upsert: dict[str, Any] = {"ids": [chunks_rows["ids"][i] for i in rows_of],
                                  "embeddings": [chunks_rows["embeddings"][i] for i in rows_of],
                                  "metadatas": [chunk_metadata(i) for i in rows_of]}
        if variant.chunk_documents:
            upsert["documents"] = [chunks_rows["documents"][i] for i in rows_of]
        timed("chunk upsert", chunks.upsert, **upsert)
        if variant.stale_get:
            timed("stale-chunk get", chunks.get, where={"article_id": {"$in": [a for a, _, _ in group]}}, include=[])
        record: dict[str, Any] = {"ids": [a for a, _, _ in group], "embeddings": [[1.0]] * len(group)}
        if variant.record_document:
            record |= {"documents": [body for _, body, _ in group], "metadatas": [m for _, _, m in group]}
        else:
            record["metadatas"] = [m | {"body": body} for _, body, m in group]
        timed("record upsert", record_collection.upsert, **record)
        placed = [publication_of[a] for a, _, _ in group]
        timed("publication upsert", publication_collection.upsert, ids=[i for i, _ in placed],
              embeddings=[[1.0]] * len(placed), metadatas=[m for _, m in placed])

    started, cpu = time.perf_counter(), time.process_time()
    pending: list[tuple[str, str, dict[str, Any]]] = []
    for n, article in enumerate(articles, 1):
        if variant.group == 1:
            timed("has-article get", record_collection.get, ids=[article[0]], include=[])
        pending.append(article)
        if len(pending) >= variant.group:
            write(pending)
            pending = []
        if n % variant.token_every == 0:
            timed("change token", chunks.modify, metadata=identity | {"revision": uuid.uuid4().hex})
    if pending:
        write(pending)
        timed("change token", chunks.modify, metadata=identity | {"revision": uuid.uuid4().hex})
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return wall, cpu, {kind: (s, int(calls)) for kind, (s, calls) in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collection", type=Path, help="the data directory of an ingested collection "
                        "(default: the evaluation's, <data_dir>/eval-multihop)")
    parser.add_argument("--limit", type=int, default=0, help="replay only the first N articles (0: all)")
    parser.add_argument("--report", type=Path, default=BENCHMARKS, help="the Markdown file to write the section to")
    args = parser.parse_args()
    directory = args.collection or BotSettings().data_dir / "eval-multihop"
    if not (directory / "chroma").is_dir():
        sys.exit(f"bench-ingest-writes: no collection in {directory} (run `make eval` first, or pass --collection)")
    rows = export(directory)
    load_before = os.getloadavg()[0]
    lines = []
    for variant in VARIANTS:
        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu, spent = replay(rows, variant, Path(tmp), args.limit)
        calls = ", ".join(f"{kind} {s:.1f} s ({n})" for kind, (s, n) in spent.items())
        lines.append(f"| {variant.name} | {wall:.1f} | {cpu:.1f} | {calls} |")
        print(lines[-1], file=sys.stderr, flush=True)
    articles = len(rows["articles"]["ids"][:args.limit or None])
    body = f"""
{articles} articles, {len(rows["chunks"]["ids"])} chunks in the collection replayed (vectors as stored: no model).
Load average: {load_before:.1f} before, {os.getloadavg()[0]:.1f} after.

| writes | wall s | CPU s | per kind of call: wall s (calls) |
|---|---|---|---|
""" + "\n".join(lines) + """

Each Chroma write costs about the same whatever it carries (a commit, the vector index's log), so the count
of writes is what matters: the ingest now writes its new articles in groups (`ingest.pipeline.ARTICLES_PER_WRITE`,
`ingest.store_writes`). The row contents matter far less: switching the full-text index off in the schema saves
almost nothing on the on-disk store; leaving the documents out (texts and bodies in metadata) saves about 5 s of
CPU more in groups, at the price of a second layout for every reader and a migration of existing stores: not done.
"""
    limit = f" --limit {args.limit}" if args.limit else ""
    write_section("ingest-writes", "Where the ingest time goes", f".venv/bin/python bench/ingest_writes.py{limit}",
                  body, path=args.report)
    print(body)


if __name__ == "__main__":
    main()
