"""How the cost grows with the collection: search index build time and `ask` latency at 1k to 100k chunks.

The chunks are the MultiHop-RAG collection as `make eval` stores it (<data dir>/eval-multihop, about 9,200
chunks): the first N of them for the smaller sizes, and copies of them as further articles (real text, the
same vectors, no embedding) for the larger ones, as bench/ask_latency.py does. The build is the real
``SearchIndex.build`` (chunk BM25, sentence BM25, dates) over that export; `ask` is retrieval plus the
extractive answer with the model loaded, timed per question after a warm-up.

    .venv/bin/python bench/growth.py [--sizes 1000,5000,20000,100000] [--questions 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ask_timing import copy_blocks, extractive_ask, latency_ms, with_copies  # noqa: E402
from bench.report import BENCHMARKS, write_section  # noqa: E402
from bot.evaluation.multihop import EVAL_DIR  # noqa: E402
from bot.retrieval.retriever import HybridRetriever  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.search_index import SearchIndex  # noqa: E402
from ingest.store import ChunkExport  # noqa: E402

DEFAULT_SIZES = "1000,5000,20000,100000"


@dataclasses.dataclass(frozen=True)
class ExportOf:
    """Stands in for the store: ``SearchIndex.build`` reads nothing but ``export_chunks()``."""

    export: ChunkExport

    def export_chunks(self) -> ChunkExport:
        return self.export


def resized(base: SearchIndex, size: int) -> ChunkExport:
    """The first ``size`` chunks of ``base``, or all of them and copies (as other articles) up to ``size``."""
    passages = with_copies(base.passages, size)
    vectors = np.vstack([base.vectors[:count] for _, count in copy_blocks(len(base.passages), size)])
    return ChunkExport(ids=[p.chunk_id for p in passages], passages=passages, vectors=vectors)


def _growth(values: list[float], i: int) -> str:
    return "" if i == 0 else f"×{values[i] / values[i - 1]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated chunk counts")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--queries", type=Path, default=ROOT.parent / "shared/data/multihop-rag/dev.json")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the data directory holding the collection (default: <data dir>/eval-multihop)")
    parser.add_argument("--report", type=Path, default=BENCHMARKS, help="the Markdown file to write the section to")
    args = parser.parse_args()
    if not args.queries.is_file():
        sys.exit(f"bench-growth: no questions at {args.queries}; the report is left as it is")
    sizes = [int(s) for s in args.sizes.split(",")]
    settings = BotSettings()
    data_dir = args.data_dir or settings.data_dir / EVAL_DIR
    desk = Newsdesk(settings.model_copy(update={"data_dir": data_dir, "chroma_url": None}))
    if not desk.collection_exists() or desk.store.count_chunks() == 0:
        sys.exit(f"bench-growth: no collection in {data_dir}: run `make eval` first (it ingests the corpus)")
    base = desk.retriever().index
    questions = [q["query"] for q in json.loads(args.queries.read_text(encoding="utf-8"))][: args.questions]
    load_before = os.getloadavg()[0]
    builds, p50s, p95s = [], [], []
    for size in sizes:
        export = resized(base, size)
        started = time.perf_counter()
        index = SearchIndex.build(ExportOf(export))  # type: ignore[arg-type]  # duck-typed store
        builds.append(time.perf_counter() - started)
        retriever = HybridRetriever(index, desk.registry, desk.embeddings.embed)

        timed = latency_ms(extractive_ask(retriever, desk.registry, settings), questions, warm_up=5)
        p50s.append(timed.p50)
        p95s.append(timed.p95)
        print(f"{size} chunks: build {builds[-1]:.1f} s, p50 {p50s[-1]:.1f} ms, p95 {p95s[-1]:.1f} ms", flush=True)
        del index, retriever, export
    rows = "\n".join(
        f"| {size:,} | {builds[i]:.2f} | {_growth(builds, i)} | {p50s[i]:.1f} | {_growth(p50s, i)} "
        f"| {p95s[i]:.1f} | {_growth(p95s, i)} |" for i, size in enumerate(sizes))
    body = f"""
{len(base):,} real chunks (MultiHop-RAG), copied as further articles beyond that; {len(questions)} dev questions
per size. Load average: {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after. The growth factor
compares each size with the one before it.

| chunks | index build s | growth | `ask` p50 ms | growth | `ask` p95 ms | growth |
|---|---|---|---|---|---|---|
{rows}

The index build tokenizes and stems every chunk and every sentence, so it grows with the text (linearly, or a
little worse). `ask` embeds the question (a constant cost) and then scores every chunk with BM25 and by cosine,
which grows with the collection. Under a load average above the CPU count, `ask` latencies mostly measure waiting
for a core, and the growth factors of `ask` are noise rather than growth.
"""
    default = args.sizes == DEFAULT_SIZES and args.questions == 100 and args.data_dir is None
    command = "make bench-growth" if default else (
        f".venv/bin/python bench/growth.py --sizes {args.sizes} --questions {args.questions}"
        + (f" --data-dir {args.data_dir}" if args.data_dir else ""))
    write_section("growth", "How the cost grows: index build and `ask` from 1k to 100k chunks", command, body,
                  path=args.report)
    print(body)


if __name__ == "__main__":
    main()
