"""How newsdesk behaves on a Chroma server against the on-disk store (#14 item 4).

- `ask` p50/p95 at 1k and 20k chunks, embedded and through a real `chroma run` on 127.0.0.1, as a ratio
  server/embedded. The chunks are the MultiHop-RAG collection that `make eval` stores (<data dir>/eval-multihop,
  about 9,200 chunks: real text and real vectors), the first 1k of them, or all of them plus copies (as other
  articles) up to 20k, written into a fresh on-disk store and into the server. Each process checks the collection
  before every question here (NEWSDESK_INDEX_RECHECK_SECONDS=0, the worst case; the default checks every 5 s).
- First ingest against an unchanged re-ingest of the same articles (the first `--articles` of the corpus),
  embedded and into the server.

    .venv/bin/python bench/scale.py [--questions 200] [--articles 60]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from bot.evaluation.multihop import EVAL_DIR  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.store import open_client  # noqa: E402
from tests.chroma_server import ChromaServer, chroma_binary  # noqa: E402

MULTIHOP = ROOT.parent / "shared" / "data" / "multihop-rag"
_BATCH = 5000


def _rows(desk: Newsdesk, size: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """``size`` chunk rows (copies beyond the real ones, as other articles) and the article records they need."""
    client = open_client(desk.settings)
    chunks = client.get_collection(desk.store.name).get(include=["documents", "metadatas", "embeddings"])
    records = client.get_collection(f"{desk.store.name}_articles").get(include=["documents", "metadatas"])
    record_of = dict(zip(records["ids"], zip(records["documents"], records["metadatas"], strict=True), strict=True))
    ids, docs, metas, vectors, rec_ids, rec_docs, rec_metas = [], [], [], [], [], [], []
    recorded: set[str] = set()
    copy = 0
    while len(ids) < size:
        for chunk_id, doc, meta, vector in zip(chunks["ids"], chunks["documents"], chunks["metadatas"],
                                               chunks["embeddings"], strict=True):
            if len(ids) == size:
                break
            article = f"{meta['article_id']}-{copy}" if copy else meta["article_id"]
            ids.append(f"{chunk_id}-{copy}" if copy else chunk_id)
            docs.append(doc)
            metas.append(dict(meta) | {"article_id": article})
            vectors.append(list(vector))
            if article not in recorded and meta["article_id"] in record_of:
                body, record = record_of[meta["article_id"]]
                recorded.add(article)
                rec_ids.append(article)
                rec_docs.append(body)
                rec_metas.append(dict(record))
        copy += 1
    return ({"ids": ids, "documents": docs, "metadatas": metas, "embeddings": vectors},
            {"ids": rec_ids, "documents": rec_docs, "metadatas": rec_metas})


def _fill(desk: Newsdesk, chunks: dict[str, Any], records: dict[str, Any]) -> None:
    desk.store.count_chunks()  # creates the collections with their configuration
    client = open_client(desk.settings)
    target, articles = client.get_collection(desk.store.name), client.get_collection(f"{desk.store.name}_articles")
    for begin in range(0, len(chunks["ids"]), _BATCH):
        target.upsert(**{k: v[begin:begin + _BATCH] for k, v in chunks.items()})
    for begin in range(0, len(records["ids"]), _BATCH):
        part = {k: v[begin:begin + _BATCH] for k, v in records.items()}
        articles.upsert(embeddings=[[1.0]] * len(part["ids"]), **part)


def _latency(desk: Newsdesk, questions: list[str]) -> tuple[float, float]:
    for question in questions[:10]:
        desk.ask(question)  # warm-up: builds the index, touches cold caches
    timings = []
    for question in questions:
        started = time.perf_counter()
        desk.ask(question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


def _ingest_times(settings: BotSettings, corpus: Path, embeddings: Any) -> tuple[float, float]:
    desk = Newsdesk(settings, embeddings=embeddings)
    started = time.perf_counter()
    first = desk.ingest([corpus], fmt="multihop")
    first_s = time.perf_counter() - started
    again = Newsdesk(settings, embeddings=embeddings)
    started = time.perf_counter()
    second = again.ingest([corpus], fmt="multihop")
    assert second.chunks == 0 and not first.failed, (first.failed, second)
    return first_s, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--articles", type=int, default=60)
    args = parser.parse_args()
    binary = chroma_binary()
    if binary is None:
        sys.exit("the `chroma` binary (installed with chromadb) is missing")
    settings = BotSettings()
    source = Newsdesk(settings.model_copy(update={"data_dir": settings.data_dir / EVAL_DIR, "chroma_url": None}))
    if source.store.count_chunks() == 0:
        sys.exit("the eval collection is empty: run `make eval` first (it ingests the corpus)")
    questions = [q["query"] for q in json.loads((MULTIHOP / "dev.json").read_text())][: args.questions]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        server = ChromaServer(binary, Path(scratch) / "server")
        server.start()
        try:
            for size in (1_000, 20_000):
                chunks, records = _rows(source, size)
                result = {}
                for mode, url in (("embedded", None), ("server", server.url)):
                    base = settings.model_copy(update={"data_dir": Path(scratch) / f"{mode}-{size}", "chroma_url": url,
                                                       "chunk_overlap": 30 + size // 1000,
                                                       "index_recheck_seconds": 0.0})
                    desk = Newsdesk(base, embeddings=source.embeddings)
                    _fill(desk, chunks, records)
                    result[mode] = _latency(desk, questions)
                (e50, e95), (s50, s95) = result["embedded"], result["server"]
                rows.append(f"| {size:,} | {e50:.1f} / {e95:.1f} | {s50:.1f} / {s95:.1f} | {s50 / e50:.2f} / "
                            f"{s95 / e95:.2f} |")
            corpus = Path(scratch) / "corpus.json"
            articles = json.loads((MULTIHOP / "corpus.json").read_text())[: args.articles]
            corpus.write_text(json.dumps(articles))
            ingest_rows = []
            for mode, url in (("embedded", None), ("server", server.url)):
                base = settings.model_copy(update={"data_dir": Path(scratch) / f"ingest-{mode}", "chroma_url": url})
                first_s, again_s = _ingest_times(base, corpus, source.embeddings)
                ingest_rows.append(f"| {mode} | {first_s:.1f} | {again_s:.2f} | {first_s / again_s:.0f}× |")
        finally:
            server.stop()
    load = os.getloadavg()[0]
    body = f"""
Load average (1 min) at the end of the run: {load:.1f} on {os.cpu_count()} CPUs; above the CPU count, every
figure includes waiting for a CPU, and the server/embedded ratios are within that noise.

`ask` latency (ms, p50 / p95; {len(questions)} dev-split questions, extractive answers, model loaded, the
collection checked before every question):

| chunks | embedded | server | server/embedded |
|---|---|---|---|
{chr(10).join(rows)}

First ingest against an unchanged re-ingest of the first {args.articles} MultiHop-RAG articles (seconds; goal ≥ 50×):

| store | first ingest s | unchanged re-ingest s | ratio |
|---|---|---|---|
{chr(10).join(ingest_rows)}

Not measured here (issue #14 item 4, left for later): ingest throughput against the raw embedder, peak RSS of a
full-corpus ingest and of the bot with 20k chunks, and the 1k/5k/20k/100k growth table.
"""
    defaults = args.questions == 200 and args.articles == 60
    command = "make bench-scale" if defaults else \
        f".venv/bin/python bench/scale.py --questions {args.questions} --articles {args.articles}"
    write_section("scale", "Chroma server against the on-disk store", command, body)
    print(body)


if __name__ == "__main__":
    main()
