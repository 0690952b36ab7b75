"""Time and peak memory to parse, chunk and MinHash one article at the size limit (#10).

Each case runs in a fresh process, so that its peak RSS is its own. Prints a Markdown table for
docs/benchmarks.md (its own section). Run: `make bench-limits`.
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.report import write_section

CASES = {
    "prose, one paragraph per 120 words": "prose",
    "prose, a single paragraph": "one-paragraph",
    "no spaces at all (split character by character)": "no-spaces",
}
WORDS = ["council", "barrier", "flood", "the", "said", "million", "vote", "mayor", "Aldren", "budget", "of", "in"]


def _text(kind: str, size: int) -> str:
    rnd = random.Random(7)
    if kind == "prose":
        paragraphs: list[str] = []
        while sum(len(p) + 1 for p in paragraphs) < size - 2000:
            paragraphs.append(" ".join(rnd.choice(WORDS) for _ in range(120)) + ".")
        return "Headline\n" + "\n".join(paragraphs)
    if kind == "one-paragraph":
        return "Headline\n" + " ".join(rnd.choice(WORDS) for _ in range(size // 6))[: size - 100]
    return "Headline\n" + "x" * (size - 100)


def _measure(kind: str) -> str:
    from ingest.articles import MAX_BODY_CHARS, parse_text
    from ingest.chunking import chunk_article
    from ingest.dedup import signature
    from ingest.settings import IngestSettings

    settings = IngestSettings()
    text = _text(kind, MAX_BODY_CHARS)
    started = time.perf_counter()
    article = parse_text(text, "bench")
    parsed = time.perf_counter()
    chunks = chunk_article(article.id, article.body, max_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap)
    chunked = time.perf_counter()
    signature(article.body)
    hashed = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return (f"{len(article.body):,} | {parsed - started:.2f} | {chunked - parsed:.2f} ({len(chunks):,} chunks) | "
            f"{hashed - chunked:.2f} | {hashed - started:.2f} | {peak_mb:.0f}")


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--case":
        print(_measure(sys.argv[2]))
        return
    rows = ["| body | characters | parse s | chunk s | MinHash s | total s | peak RSS MB |",
            "|---|---|---|---|---|---|---|"]
    for label, kind in CASES.items():
        done = subprocess.run([sys.executable, __file__, "--case", kind], capture_output=True, text=True, check=True)
        rows.append(f"| {label} | {done.stdout.strip()} |")
    table = "\n".join(rows)
    print(table)
    load = os.getloadavg()[0]
    write_section("article-limits", "One article at the size limit (parse, chunk, MinHash)", "make bench-limits",
                  f"Each case in a fresh process (peak RSS is its own); load average {load:.1f} when run.\n\n{table}")


if __name__ == "__main__":
    main()
