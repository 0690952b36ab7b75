"""Ingest speed: a first ingest of the MultiHop-RAG corpus, then the same corpus again (nothing changed).

The target (issue #3) is a re-ingest at least 50x faster than the first ingest, because unchanged
articles are recognised by their content hash and never embedded again.

    .venv/bin/python bench/ingest_speed.py [--corpus ../shared/data/multihop-rag/corpus.json] [--limit N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.types import IngestReport  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared/data/multihop-rag/corpus.json")
    parser.add_argument("--limit", type=int, default=0, help="ingest only the first N articles")
    args = parser.parse_args()
    corpus = args.corpus
    if not corpus.is_file():  # numbers from an empty ingest would overwrite the real ones in docs/
        sys.exit(f"bench-ingest: no corpus at {corpus} (fetch MultiHop-RAG into ../shared/data/multihop-rag "
                 "or pass --corpus PATH); docs/benchmarks.md left as it is")
    with tempfile.TemporaryDirectory() as tmp:
        if args.limit:
            import json

            subset = Path(tmp) / "corpus.json"
            subset.write_text(json.dumps(json.loads(corpus.read_text())[: args.limit]))
            corpus = subset
        desk = Newsdesk(BotSettings(data_dir=Path(tmp) / "data"))
        desk.embeddings  # noqa: B018 - load the model outside the timed runs
        started = time.perf_counter()
        first = desk.ingest([corpus], fmt="multihop")
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = desk.ingest([corpus], fmt="multihop")
        second_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    articles = len(first.added) + len(first.linked)
    if not articles:
        sys.exit(f"bench-ingest: nothing was ingested from {corpus}; docs/benchmarks.md left as it is")

    def row(name: str, report: IngestReport, seconds: float) -> str:
        counts = (len(report.added), len(report.linked), len(report.unchanged), report.chunks)
        return f"| {name} | {articles} | " + " | ".join(map(str, counts)) + f" | {seconds:.2f} |"

    body = f"""
| run | articles | added | linked | unchanged | chunks embedded | seconds |
|---|---|---|---|---|---|---|
{row("first ingest", first, first_s)}
{row("re-ingest, unchanged", second, second_s)}

Re-ingest speed-up: **{first_s / second_s:.0f}x** (target: at least 50x). First ingest: {first.chunks / first_s:.1f}
chunks/s. Peak RSS of the whole run: {rss_mb:.0f} MB.
"""
    command = "make bench-ingest" if not args.limit else f".venv/bin/python bench/ingest_speed.py --limit {args.limit}"
    write_section("ingest-speed", "Ingest and re-ingest (MultiHop-RAG corpus)", command, body)
    print(body)


if __name__ == "__main__":
    main()
