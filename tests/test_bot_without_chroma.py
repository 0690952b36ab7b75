"""A long-running desk (the Telegram bot) served from the snapshot never opens Chroma (#14: about 140 MB of the
bot's memory), and still sees what another process ingests."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.article_bodies import bodies_path
from ingest.embedder import MiniLMEmbeddings
from ingest.pipeline import writer_lock
from ingest.snapshot import new_revision, snapshot_path
from tests.conftest import ROOT
from tests.test_snapshot import FIRST_FIVE, QUESTIONS, SEAGRASS

#: A bot's desk in a child process where importing chromadb fails: it answers, reads the body of every article it
#: cites, and on each line of stdin answers again. One line of output per round: the first title, then whether
#: each cited quote was found in its article's body.
_BOT = """
import sys
from importlib.abc import MetaPathFinder

class Blocked(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("chromadb", "chromadb_rust_bindings"):
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Blocked())
from bot.service import Newsdesk
from bot.settings import BotSettings

desk = Newsdesk(BotSettings())
question = sys.argv[1]
for _ in sys.stdin:
    answer = desk.ask(question)
    quoted = all(desk.article_body(c.article_id)[c.start : c.end] == c.quote for c in answer.citations)
    print(desk.retrieve(question)[0].title, "|", len(answer.citations), "quotes found:", quoted, flush=True)
"""


def _ingest(settings: BotSettings, embeddings: MiniLMEmbeddings, *sources: Path) -> None:
    report = Newsdesk(settings, embeddings=embeddings).ingest(sources)
    assert not report.failed, report.failed


def test_a_bot_without_chromadb_answers_and_sees_what_another_process_ingests(
        settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, *FIRST_FIVE)
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(settings.data_dir), "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-c", _BOT, QUESTIONS[4]], cwd=settings.data_dir.parent, env=env,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as bot:
        assert bot.stdin is not None and bot.stdout is not None and bot.stderr is not None
        try:
            bot.stdin.write("ask\n")
            bot.stdin.flush()
            before = bot.stdout.readline()
            assert "quotes found: True" in before and "Sea-grass" not in before, before + bot.stderr.read(2000)
            _ingest(settings, embeddings, SEAGRASS)  # another process (this one) writes the store meanwhile
            bot.stdin.write("ask\n")
            bot.stdin.flush()
            after = bot.stdout.readline()
            assert after.startswith("Sea-grass") and "quotes found: True" in after, after + bot.stderr.read(2000)
        finally:
            bot.kill()


def test_while_another_process_writes_the_last_snapshot_answers(settings: BotSettings,
                                                                embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, *FIRST_FIVE)
    bot = Newsdesk(settings, embeddings=embeddings)
    first = bot.retrieve(QUESTIONS[0])
    with writer_lock(settings.data_dir):  # a writer in another process: the snapshot is stale until it ends
        new_revision(settings.chroma_dir)
        assert bot.retrieve(QUESTIONS[0]) == first
        citation = bot.ask(QUESTIONS[0]).citations[0]
        assert (bot.article_body(citation.article_id) or "")[citation.start : citation.end] == citation.quote
        assert "store" not in bot.__dict__, "the bot kept to its snapshot while the writer wrote"
    # The writer died before its snapshot (nobody holds the lock now): the store is read, as before.
    assert bot.retrieve(QUESTIONS[0]) == first
    assert "store" in bot.__dict__


def test_bodies_come_from_the_snapshot_and_equal_the_stored_ones(settings: BotSettings,
                                                                 embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, *FIRST_FIVE)
    bot = Newsdesk(settings, embeddings=embeddings)
    ids = [record.id for record in bot.sources()]
    bodies = [bot.article_body(i) for i in ids]
    assert "store" not in bot.__dict__, "the bodies came from the file beside the snapshot"
    reader = Newsdesk(settings, embeddings=embeddings)
    assert bodies == [reader.store.article_body(i) for i in ids] and all(bodies)


def test_a_damaged_bodies_file_falls_back_to_the_store_with_one_warning(
        settings: BotSettings, embeddings: MiniLMEmbeddings, caplog: pytest.LogCaptureFixture) -> None:
    _ingest(settings, embeddings, *FIRST_FIVE)
    bot = Newsdesk(settings, embeddings=embeddings)
    article = bot.sources()[0].id
    expected = bot.article_body(article)
    path = bodies_path(snapshot_path(settings.data_dir, bot.collection_name))
    path.write_bytes(b'{"format": 1, "revision": ')  # a header cut short
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fallback = Newsdesk(settings, embeddings=embeddings)
        assert fallback.article_body(article) == expected
    assert "store" in fallback.__dict__
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "bodies" in warnings[0], warnings
