"""Latency of `ask` (retrieval plus extractive answer, model loaded) on a 20,000-chunk collection.

The collection is the MultiHop-RAG corpus as `make eval` stores it (<data dir>/eval-multihop, about 9,200
chunks), enlarged to 20,000 chunks by adding copies of its chunks as further articles, which keeps real text
and real vectors. Only the in-memory search index is enlarged: `ask` reads nothing else from Chroma.
The questions are the dev split's, each asked once after a warm-up.

    .venv/bin/python bench/ask_latency.py [--chunks 20000] [--questions 300]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import bm25s
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ask_timing import copy_blocks, extractive_ask, latency_ms, with_copies  # noqa: E402
from bench.report import write_section  # noqa: E402
from bot.evaluation.multihop import EVAL_DIR  # noqa: E402
from bot.retrieval.retriever import HybridRetriever  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.search_index import SearchIndex, header, tokenize  # noqa: E402
from ingest.sentences import sentence_spans  # noqa: E402


def enlarged(index: SearchIndex, size: int) -> SearchIndex:
    """``index`` with copies of its chunks (as other articles) appended until it holds ``size`` chunks."""
    size = max(size, len(index.passages))
    blocks = copy_blocks(len(index.passages), size)
    passages = with_copies(index.passages, size)
    vectors = np.vstack([index.vectors[:count] for _, count in blocks])
    stamps = np.concatenate([index.published_ts[:count] for _, count in blocks])
    bm25 = bm25s.BM25()
    bm25.index(tokenize([f"{header(p)}\n{p.text}" for p in passages]), show_progress=False)
    # Sentences of the copies are the originals' sentences, owned by the copy chunks.
    owners = np.concatenate([index.sentence_chunk[index.sentence_chunk < take] + offset
                             for offset, take in blocks])
    sentence_bm25 = bm25s.BM25()
    sentence_bm25.index(tokenize(_sentences(passages)), show_progress=False)
    return SearchIndex("bench", passages, vectors, bm25, stamps, sentence_bm25, owners)


def _sentences(passages: list) -> list[str]:
    return [p.text[a:b] for p in passages for a, b in sentence_spans(p.text)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--queries", type=Path, default=ROOT.parent / "shared/data/multihop-rag/dev.json")
    args = parser.parse_args()
    settings = BotSettings()
    desk = Newsdesk(settings.model_copy(update={"data_dir": settings.data_dir / EVAL_DIR, "chroma_url": None}))
    if desk.store.count_chunks() == 0:
        sys.exit("the eval collection is empty: run `make eval` first (it ingests the corpus)")
    base = desk.retriever().index
    index = enlarged(base, args.chunks)
    retriever = HybridRetriever(index, desk.registry, desk.embeddings.embed)
    questions = [q["query"] for q in json.loads(args.queries.read_text())][: args.questions]

    timed = latency_ms(extractive_ask(retriever, desk.registry, settings), questions, warm_up=10)
    p50, p95 = timed.p50, timed.p95
    body = f"""
| collection | questions | p50 ms | p95 ms | max ms |
|---|---|---|---|---|
| {len(index):,} chunks ({len(base):,} real + copies) | {timed.count} | {p50:.1f} | {p95:.1f} | {timed.max:.1f} |

Targets (issue #5): p50 ≤ 50 ms, p95 ≤ 150 ms. Each `ask` embeds the question with the ONNX model, scores
every chunk with BM25 and by cosine, fuses the rankings and picks the quoted sentences.
"""
    defaults = args.chunks == 20_000 and args.questions == 300
    command = "make bench-ask" if defaults else f".venv/bin/python bench/ask_latency.py --chunks {args.chunks} " \
        f"--questions {args.questions}"
    write_section("ask-latency", "`ask` latency on a 20k-chunk collection", command, body)
    print(body)


if __name__ == "__main__":
    main()
