"""`sources` and `ask` from the collection's snapshot, without chromadb (#16), and never from a stale one."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.app import cli
from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.embedder import MiniLMEmbeddings
from ingest.snapshot import new_revision, snapshot_path
from tests.conftest import ROOT, SAMPLES

QUESTIONS = [
    "What did the mayor say about the cost of the flood barrier?",
    "Why did the ferry crews walk out?",
    "How much water may households use under the stage 2 restrictions?",
    "How many jobs does the Voltaris battery plant promise?",
    "Did the sea-grass replanting work?",
    "Does Northwind Public Radio's report on the barrier vote agree with The Harbour Gazette's?",
]
SEAGRASS = SAMPLES / "06-seagrass-restoration-study.txt"
FIRST_FIVE = sorted(p for p in SAMPLES.glob("*.txt") if p != SEAGRASS)

#: Run in a child process as ``-c CODE BLOCKED ARGS...``: importing a package named in BLOCKED (comma-separated)
#: fails there, so a command that needs chromadb (or, for `sources`, the embedder) fails too.
_WITHOUT = """
import sys
from importlib.abc import MetaPathFinder

class Blocked(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"{name} is blocked in this test")
        return None

BLOCKED = set(sys.argv.pop(1).split(","))
sys.meta_path.insert(0, Blocked())
from bot.cli.app import cli
cli(sys.argv[1:], prog_name="newsdesk")
"""
#: What `ask` and `sources` must do without: the store, and for `sources` the model and LangChain too.
NO_STORE = "chromadb,chromadb_rust_bindings"
NO_MODEL = f"{NO_STORE},onnxruntime,langchain_core,tokenizers,tldextract,requests"


def _desk(settings: BotSettings, embeddings: MiniLMEmbeddings) -> Newsdesk:
    """A desk as a fresh process has it: nothing opened yet."""
    return Newsdesk(settings, embeddings=embeddings)


def _used_the_store(desk: Newsdesk) -> bool:
    return "store" in desk.__dict__


def _ingest(settings: BotSettings, embeddings: MiniLMEmbeddings, *sources: Path) -> None:
    report = _desk(settings, embeddings).ingest(sources)
    assert not report.failed, report.failed


def _snapshot_file(desk: Newsdesk) -> Path:
    return snapshot_path(desk.settings.data_dir, desk.collection_name)


def test_ranking_from_the_snapshot_equals_the_ranking_from_the_store(settings: BotSettings,
                                                                     embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, SAMPLES)
    fast = _desk(settings, embeddings)
    from_snapshot = {q: fast.ask(q) for q in QUESTIONS}
    assert not _used_the_store(fast), "a fresh ingest leaves a snapshot that `ask` can use"
    _snapshot_file(fast).unlink()
    slow = _desk(settings, embeddings)
    for question in QUESTIONS:
        answer = slow.ask(question)
        assert answer == from_snapshot[question], question
        assert [(p.chunk_id, p.score) for p in slow.retrieve(question)] == [
            (p.chunk_id, p.score) for p in fast.retrieve(question)], question
    assert _used_the_store(slow), "without a snapshot the store is read"
    assert [r.id for r in slow.sources()] == [r.id for r in fast.sources()]


def test_commands_on_a_fresh_ingest_run_without_chromadb(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--quiet", str(SAMPLES)], env=cli_env).exit_code == 0
    settings = BotSettings(data_dir=Path(cli_env["NEWSDESK_DATA_DIR"]))
    snapshot = _snapshot_file(Newsdesk(settings))
    expected_sources = runner.invoke(cli, ["sources"], env=cli_env).stdout
    snapshot.unlink()  # the expected answer comes from the store
    expected_answer = runner.invoke(cli, ["ask", QUESTIONS[0]], env=cli_env, catch_exceptions=False).stdout
    assert snapshot.is_file(), "reading the store wrote the snapshot again"
    assert "Mayor Helena Vasquez-Reid" in expected_answer

    for blocked, argv, expected in ((NO_MODEL, ["sources"], expected_sources),
                                    (NO_STORE, ["ask", QUESTIONS[0]], expected_answer)):
        done = subprocess.run([sys.executable, "-c", _WITHOUT, blocked, *argv], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env={**os.environ, **cli_env})
        assert done.returncode == 0, f"newsdesk {argv[0]} needed one of {blocked}: {done.stderr[-2000:]}"
        assert done.stdout == expected, argv
    assert expected_sources.startswith("6 articles from 3 outlets:\n")


def test_an_article_ingested_after_the_snapshot_is_seen(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, *FIRST_FIVE)
    before = _desk(settings, embeddings)
    assert len(before.sources()) == 5 and not _used_the_store(before)
    _ingest(settings, embeddings, SEAGRASS)
    after = _desk(settings, embeddings)
    assert len(after.sources()) == 6
    assert "Sea-grass" in after.retrieve(QUESTIONS[4])[0].title
    assert not _used_the_store(after), "the ingest wrote the new snapshot"


def test_a_removed_article_is_gone_from_sources_and_answers(settings: BotSettings,
                                                            embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, SAMPLES)
    desk = _desk(settings, embeddings)
    seagrass = next(r.id for r in desk.sources() if "Sea-grass" in r.title)
    assert desk.retrieve(QUESTIONS[4])[0].article_id == seagrass
    removed, _ = _desk(settings, embeddings).remove([seagrass])
    assert removed == [seagrass]
    after = _desk(settings, embeddings)
    assert seagrass not in {r.id for r in after.sources()}
    assert seagrass not in {p.article_id for p in after.retrieve(QUESTIONS[4])}
    assert not _used_the_store(after)


def test_a_writer_killed_before_its_snapshot_leaves_no_trusted_snapshot(settings: BotSettings,
                                                                       embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, *FIRST_FIVE)

    def killed() -> None:
        raise KeyboardInterrupt  # after the first article is stored, before the run writes its snapshot

    with pytest.raises(KeyboardInterrupt):
        _desk(settings, embeddings).ingest([SEAGRASS], on_article=killed)
    desk = _desk(settings, embeddings)
    assert len(desk.sources()) == 6, "the article the killed run stored is listed"
    assert _used_the_store(desk), "the snapshot from before the run was not trusted"
    assert "Sea-grass" in _desk(settings, embeddings).retrieve(QUESTIONS[4])[0].title


def test_a_store_written_without_a_snapshot_is_read_from_the_store(settings: BotSettings,
                                                                   embeddings: MiniLMEmbeddings) -> None:
    _ingest(settings, embeddings, SAMPLES)
    writer = _desk(settings, embeddings)
    victim = writer.sources()[0].id
    new_revision(settings.chroma_dir)  # what every writer does first; this one then dies before its snapshot
    writer.store.delete_article(victim)
    desk = _desk(settings, embeddings)
    assert victim not in {r.id for r in desk.sources()}
    assert victim not in {p.article_id for q in QUESTIONS for p in _desk(settings, embeddings).retrieve(q)}


@pytest.mark.parametrize("damage", [
    pytest.param(lambda path: path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2]), id="truncated"),
    pytest.param(lambda path: path.write_text(json.dumps({**json.loads(path.read_text()), "articles": [{"id": 1}]})),
                 id="bad-record"),
    pytest.param(lambda path: path.write_bytes(b"\xff\xfe\x00garbage"), id="garbage"),
])
def test_a_damaged_snapshot_falls_back_to_the_store_with_one_warning(
        settings: BotSettings, embeddings: MiniLMEmbeddings, caplog: pytest.LogCaptureFixture, damage) -> None:
    _ingest(settings, embeddings, SAMPLES)
    expected = _desk(settings, embeddings).ask(QUESTIONS[0])
    damage(_snapshot_file(_desk(settings, embeddings)))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        desk = _desk(settings, embeddings)
        assert desk.ask(QUESTIONS[0]) == expected
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "snapshot" in warnings[0].getMessage(), [r.getMessage() for r in warnings]
    assert _used_the_store(desk)
    again = _desk(settings, embeddings)
    assert again.ask(QUESTIONS[0]) == expected and not _used_the_store(again), "the snapshot was written again"


def test_a_damaged_search_index_falls_back_to_the_store_with_one_warning(
        settings: BotSettings, embeddings: MiniLMEmbeddings, caplog: pytest.LogCaptureFixture) -> None:
    _ingest(settings, embeddings, SAMPLES)
    desk = _desk(settings, embeddings)
    expected = desk.ask(QUESTIONS[0])
    folder = settings.data_dir / "index" / desk.collection_name
    (folder / "passages.json").write_text("[{")
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fallback = _desk(settings, embeddings)
        assert fallback.ask(QUESTIONS[0]) == expected
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "cannot be read" in warnings[0].getMessage(), [r.getMessage() for r in warnings]
    assert _used_the_store(fallback)
    shutil.rmtree(folder)  # a missing index is no damage: rebuilt without a word
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert _desk(settings, embeddings).ask(QUESTIONS[0]) == expected
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
