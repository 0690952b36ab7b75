"""Peak RSS of the Telegram bot process (`newsdesk telegram`) over a 20,000-chunk collection.

The collection is the MultiHop-RAG one `make eval` stores (<data dir>/eval-multihop, about 9,200 chunks),
copied into <data dir>/bot-memory-N and enlarged to N chunks with copies of its articles (new ids and
locations, the same text, the stored vectors: nothing is embedded), through the store's own ``add_article``,
with the search index and snapshot an ingest leaves (the bot serves from them without opening Chroma while
they are current). The bot runs as in production, in its own process, by long polling against the fake Bot
API (tests/fake_bot_api.py) on 127.0.0.1. Its RSS (VmRSS) and peak (VmHWM) are
read from /proc after start-up (articles listed, index loaded, model warmed) and after answering questions
one after the other. Goal (issue #14): peak ≤ 600 MB.

    .venv/bin/python bench/bot_memory.py [--chunks 20000] [--questions 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import BENCHMARKS, write_section  # noqa: E402
from bench.telegram_load import QUESTIONS  # noqa: E402
from bot.evaluation.multihop import EVAL_DIR  # noqa: E402
from bot.service import Newsdesk  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from ingest.chunking import chunk_article  # noqa: E402
from ingest.embedder import MiniLMEmbeddings  # noqa: E402
from ingest.search_index import load_or_build  # noqa: E402
from ingest.types import Article  # noqa: E402
from tests.fake_bot_api import TOKEN, FakeBotApiServer, FakeTelegram  # noqa: E402

RSS_GOAL_MB = 600
USER = 4242
START_TIMEOUT, REPLY_TIMEOUT = 600.0, 120.0


class StoredVectors:
    """The embedder for the copies: the stored vector of each (already stored) text; the real tokenizer counts."""

    def __init__(self, texts: list[str], vectors: np.ndarray, model: MiniLMEmbeddings) -> None:
        self._vectors = dict(zip(texts, vectors.tolist(), strict=True))
        self.count_word_pieces = model.count_word_pieces

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vectors[text] for text in texts]  # a KeyError: a copy's chunks differ (a bug here)


def enlarge(source: Path, target: Path, chunks: int) -> int:
    """Copy the collection in ``source`` to ``target`` (once), add copies of its articles up to ``chunks`` and
    build the search index there, as the ingest that stored them would have."""
    if not target.exists():
        shutil.copytree(source / "chroma", target / "chroma")
    settings = BotSettings(_env_file=None, data_dir=target)
    desk = Newsdesk(settings)
    count = desk.store.count_chunks()
    if count < chunks:
        export = desk.store.export_chunks()
        embedder = StoredVectors([p.text for p in export.passages], export.vectors, desk.embeddings)
        desk = Newsdesk(settings, embeddings=embedder)  # type: ignore[arg-type]  # duck-typed embedder
        store = desk.store
        originals = [r for r in store.articles() if "#copy" not in r.location]
        copy = 0
        while count < chunks:
            copy += 1
            for record in originals:
                body = store.article_body(record.id)
                if body is None:
                    continue
                article = Article(id=f"{record.id}-copy{copy}", title=record.title, body=body,
                                  source_path=f"{record.source_path}#copy{copy}",
                                  url=f"{record.url}#copy{copy}" if record.url else None,
                                  published_at=record.published_at, publisher=record.publisher,
                                  original=record.original)
                parts = chunk_article(article.id, body, max_tokens=settings.chunk_tokens,
                                      overlap=settings.chunk_overlap, count_word_pieces=embedder.count_word_pieces)
                store.add_article(article, parts)
                store.set_publication(article)
                count += len(parts)
                if count >= chunks:
                    break
    load_or_build(desk.store, desk.index_folder)  # saved, so the bot loads it as after any ingest
    desk.sources()  # and the snapshot (with the article bodies) an ingest writes: the bot serves from it
    return count


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of process ``pid`` in MB: its resident set now and its peak."""
    fields = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def measure(data_dir: Path, questions: int) -> dict[str, float]:
    fake = FakeTelegram()
    async with FakeBotApiServer(fake) as api:
        env = {**os.environ, "NEWSDESK_DATA_DIR": str(data_dir), "NEWSDESK_TELEGRAM_TOKEN": TOKEN,
               "NEWSDESK_TELEGRAM_API_URL": api.base_url, "NEWSDESK_TELEGRAM_ALLOWED_USERS": str(USER),
               "NEWSDESK_TELEGRAM_QUESTIONS_PER_MINUTE": "0", "NEWSDESK_LLM_PROVIDER": "none"}
        log = (data_dir / "bot-memory.log").open("wb")  # the bot's own log, to read when it did not start
        bot = subprocess.Popen([str(Path(sys.executable).parent / "newsdesk"), "telegram"], cwd=data_dir, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
        try:
            started = time.monotonic()
            # on_start opens the collection and warms the index and model before the first getUpdates.
            await api.wait_for(lambda f: "getUpdates" in f.methods(), timeout=START_TIMEOUT)
            result = {"start_s": time.monotonic() - started}
            result["start_rss"], result["start_peak"] = memory_mb(bot.pid)
            for i in range(questions):
                before = len(fake.sent(USER))
                await api.push(fake.message_update(USER, QUESTIONS[i % len(QUESTIONS)]))
                await api.wait_for(lambda f, before=before: len(f.sent(USER)) > before, timeout=REPLY_TIMEOUT)
            result["end_rss"], result["end_peak"] = memory_mb(bot.pid)
            # Served from the collection's snapshot, the bot should never have loaded chromadb's library.
            with open(f"/proc/{bot.pid}/maps", encoding="utf-8", errors="replace") as maps:
                result["chromadb_loaded"] = any("chromadb" in line for line in maps)
            return result
        finally:
            bot.terminate()
            try:
                bot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
            log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="the data directory holding the collection (default: <data dir>/eval-multihop)")
    parser.add_argument("--report", type=Path, default=BENCHMARKS, help="the Markdown file to write the section to")
    args = parser.parse_args()
    settings = BotSettings()
    source = args.data_dir or settings.data_dir / EVAL_DIR
    if not (source / "chroma").is_dir():
        sys.exit(f"bench-bot-memory: no collection in {source}: run `make eval` first (it ingests the corpus)")
    target = source.parent / f"bot-memory-{args.chunks}"
    chunks = enlarge(source, target, args.chunks)
    load_before = os.getloadavg()[0]
    result = asyncio.run(measure(target, args.questions))
    peak = max(result["start_peak"], result["end_peak"])
    verdict = "**met**" if peak <= RSS_GOAL_MB else "**not met**"
    body = f"""
`newsdesk telegram` over {chunks:,} chunks (the MultiHop-RAG collection and copies of its articles), long polling
the fake Bot API on 127.0.0.1; {args.questions} questions asked one after the other, extractive answers.
Start-up (articles listed, index loaded, model warmed) took {result["start_s"]:.1f} s. Load average:
{load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after. chromadb loaded by the bot:
{"yes" if result["chromadb_loaded"] else "no (served from the collection's snapshot)"}.

| when | RSS MB | peak RSS so far MB |
|---|---|---|
| after start-up | {result["start_rss"]:.0f} | {result["start_peak"]:.0f} |
| after {args.questions} answers | {result["end_rss"]:.0f} | **{result["end_peak"]:.0f}** |

Goal: peak ≤ {RSS_GOAL_MB} MB: {verdict}.
"""
    default = (args.chunks, args.questions, args.data_dir) == (20_000, 40, None)
    command = "make bench-bot-memory" if default else (
        f".venv/bin/python bench/bot_memory.py --chunks {args.chunks} --questions {args.questions}"
        + (f" --data-dir {args.data_dir}" if args.data_dir else ""))
    write_section("bot-memory", f"Telegram bot memory over {chunks:,} chunks", command, body, path=args.report)
    print(body)


if __name__ == "__main__":
    main()
