"""Ingest at scale: throughput against the raw embedder on the same chunks, and the peak RSS of the ingest.

One process, one fresh data directory: the model is loaded, the corpus is ingested (``Newsdesk.ingest``, as
``newsdesk ingest --format multihop`` does, search index build included), and then the raw embedder embeds
the very chunks that were stored, article by article as the ingest fed them. The ratio ingest/raw throughput
is what the pipeline around the model costs (issue #14: goal ≥ 0.90). The peak RSS is the process's
``ru_maxrss`` right after the ingest, with RSS sampled every 20 ms to say where it rose (goal ≤ 800 MB for the
whole 609-article corpus).

    .venv/bin/python bench/ingest_scale.py [--corpus ../shared/data/multihop-rag/corpus.json] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import BENCHMARKS, write_section  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.embedder import QUERY_BATCH  # noqa: E402

RATIO_GOAL, RSS_GOAL_MB = 0.90, 800


def rss_mb() -> float:
    """The process's resident set now (VmRSS), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    """The process's peak resident set so far (Linux reports ru_maxrss in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RssSampler:
    """Samples RSS in a thread, so the report can say in which phase the peak was reached."""

    def __init__(self) -> None:
        self.phase, self.peaks = "start", defaultdict(float)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peaks[self.phase] = max(self.peaks[self.phase], rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/data/multihop-rag/corpus.json")
    parser.add_argument("--limit", type=int, default=0, help="ingest only the first N articles (0: all)")
    parser.add_argument("--report", type=Path, default=BENCHMARKS, help="the Markdown file to write the section to")
    args = parser.parse_args()
    if not args.corpus.is_file():
        sys.exit(f"bench-ingest-scale: no corpus at {args.corpus} (fetch MultiHop-RAG into "
                 "../shared/data/multihop-rag or pass --corpus PATH); the report is left as it is")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, RssSampler() as sampler:
        corpus = args.corpus
        if args.limit:
            corpus = Path(tmp) / "corpus.json"
            corpus.write_text(json.dumps(json.loads(args.corpus.read_text(encoding="utf-8"))[: args.limit]))
        desk = Newsdesk(BotSettings(_env_file=None, data_dir=Path(tmp) / "data"))
        sampler.phase = "model and store loaded"
        embedder = desk.embeddings
        embedder.embed(["a batch, so that the batch session is made now"] * (QUERY_BATCH + 1))
        desk.store  # noqa: B018 - opened outside the timed run, as the model is
        loaded_mb = rss_mb()
        sampler.phase = "ingest"
        started, cpu = time.perf_counter(), time.process_time()
        report = desk.ingest([corpus], fmt="multihop")
        ingest_s, ingest_cpu = time.perf_counter() - started, time.process_time() - cpu
        ingest_peak = peak_mb()
        # Said now: on a loaded machine the raw embedder's run that follows takes as long again.
        print(f"ingest: {ingest_s:.0f} s, peak RSS {ingest_peak:.0f} MB", file=sys.stderr, flush=True)
        sampler.phase = "raw embedder"
        by_article: dict[str, list[str]] = defaultdict(list)
        for passage in desk.store.export_chunks().passages:
            by_article[passage.article_id].append(passage.text)
        chunks = sum(map(len, by_article.values()))
        started, cpu = time.perf_counter(), time.process_time()
        for texts in by_article.values():
            embedder.embed(texts)
        raw_s, raw_cpu = time.perf_counter() - started, time.process_time() - cpu
    if not chunks:
        sys.exit(f"bench-ingest-scale: nothing was ingested from {args.corpus}; the report is left as it is")
    articles = len(report.added) + len(report.linked)
    ratio = raw_s / ingest_s  # (chunks / ingest_s) / (chunks / raw_s)
    full = not args.limit
    peaks = ", ".join(f"{phase} {mb:.0f} MB" for phase, mb in sampler.peaks.items() if mb)

    def verdict(met: bool) -> str:
        return "**met**" if met else "**not met**"

    rss_verdict = verdict(ingest_peak <= RSS_GOAL_MB) if full else f"not judged: {articles} articles, not the corpus"
    body = f"""
{articles} articles, {chunks} chunks. Load average: {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after.

| measure | value | goal | |
|---|---|---|---|
| ingest (parse, chunk, embed, store, index) | {ingest_s:.1f} s, {chunks / ingest_s:.1f} chunks/s | | |
| raw embedder, same chunks, same batches | {raw_s:.1f} s, {chunks / raw_s:.1f} chunks/s | | |
| ingest / raw throughput | **{ratio:.2f}** | ≥ {RATIO_GOAL:.2f} | {verdict(ratio >= RATIO_GOAL)} |
| the same in CPU time (all threads) | {raw_cpu / ingest_cpu:.2f} (ingest {ingest_cpu:.0f} s, raw {raw_cpu:.0f} s) | | |
| peak RSS of the ingest process | **{ingest_peak:.0f} MB** | ≤ {RSS_GOAL_MB} MB (full corpus) | {rss_verdict} |

RSS with the model and store loaded: {loaded_mb:.0f} MB. Highest RSS sampled (every 20 ms) per phase: {peaks}.
On a machine whose load average is above its CPU count, wall-clock times mostly measure waiting for a core: the
CPU-time ratio is the steadier figure then.
"""
    default_corpus = args.corpus == parser.get_default("corpus")
    limit = f" --limit {args.limit}" if args.limit else ""
    command = "make bench-ingest-scale" if full and default_corpus else (
        ".venv/bin/python bench/ingest_scale.py" + ("" if default_corpus else f" --corpus {args.corpus}") + limit)
    write_section("ingest-scale", "Ingest throughput and memory at scale", command, body, path=args.report)
    print(body)


if __name__ == "__main__":
    main()
