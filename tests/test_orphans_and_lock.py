"""Interrupted and concurrent ingests (#10 items 10 and 11).

- A run killed between writing an article's chunks and its record leaves chunks that ``ask`` cites but
  ``sources`` does not list. The state is made through our store module (the article is stored, then its
  record is deleted in Chroma, which is exactly what the kill leaves); opening the collection and the next
  ingest must sweep those chunks.
- One writer at a time: a real second process waits for the data directory's lock, which the kernel releases
  even when its holder is SIGKILLed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.articles import build_article
from ingest.chunking import chunk_article
from ingest.pipeline import WriterBusy, ingest_sources, writer_lock
from ingest.store import open_client
from tests.conftest import ROOT

ORPHAN = ("The lighthouse keeper Oskar Brandvold counted 412 gulls on the breakwater at dawn, "
          "the most since the survey began.")
GOOD = "The Port Aldren ferry operator agreed a new roster with the union on Monday, ending a three-week strike."
GULLS = "How many gulls did the lighthouse keeper count?"


def _write_json(path: Path, title: str, body: str) -> Path:
    path.write_text(json.dumps([{"title": title, "body": body}]))
    return path


def _leave_orphan(desk: Newsdesk, tmp_path: Path) -> str:
    """The collection as a kill between an article's chunk write and its record write leaves it."""
    article = build_article(title="Gulls", paragraphs=[ORPHAN], source=str(tmp_path / "gulls.txt"))
    desk.store.add_article(article, chunk_article(article.id, article.body, max_tokens=200, overlap=30))
    open_client(desk.settings).get_collection(f"{desk.store.name}_articles").delete(ids=[article.id])
    assert desk.store.article(article.id) is None and desk.store.count_chunks() > 0
    return article.id


def _chunk_owners(desk: Newsdesk) -> set[str]:
    return {p.article_id for p in desk.store.export_chunks().passages}


def test_opening_the_collection_sweeps_chunks_without_a_record(desk: Newsdesk, tmp_path: Path) -> None:
    assert not desk.ingest([_write_json(tmp_path / "good.json", "Ferry deal", GOOD)]).failed
    orphan = _leave_orphan(desk, tmp_path)
    assert orphan in _chunk_owners(desk), "the orphan chunks are there before the next open"

    reopened = Newsdesk(desk.settings, embeddings=desk.embeddings)  # the next `ask` or bot start-up
    assert _chunk_owners(reopened) == {r.id for r in reopened.sources()}, "every chunk belongs to a listed article"
    cited = [p.article_id for p in reopened.retrieve(GULLS, k=5)]
    assert orphan not in cited, "ask must not cite an article that sources does not list"


def test_the_next_ingest_sweeps_them_and_can_store_the_article_again(desk: Newsdesk, tmp_path: Path) -> None:
    orphan = _leave_orphan(desk, tmp_path)
    report = ingest_sources([str(_write_json(tmp_path / "other.json", "Ferry deal", GOOD))], desk.store,
                            desk.settings)
    assert len(report.added) == 1 and orphan not in _chunk_owners(desk), "an ingest of another file sweeps them"
    (tmp_path / "gulls.txt").write_text(f"Gulls\n{ORPHAN}\n")
    again = ingest_sources([str(tmp_path / "gulls.txt")], desk.store, desk.settings)
    assert again.added == [orphan], again
    assert _chunk_owners(desk) == {r.id for r in desk.sources()}


@contextmanager
def _lock_held_elsewhere(data_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """A real second process that takes the writer lock and keeps it until its stdin closes (or it is killed)."""
    code = ("import sys; from pathlib import Path; from ingest.pipeline import writer_lock\n"
            f"with writer_lock(Path({str(data_dir)!r})):\n    print('locked', flush=True); sys.stdin.read()\n")
    with subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            yield holder
        finally:
            holder.kill()
            holder.wait()


def test_a_sweep_at_open_never_runs_while_another_process_writes(desk: Newsdesk, tmp_path: Path) -> None:
    orphan = _leave_orphan(desk, tmp_path)  # to a running ingest, these are an article it is writing
    with _lock_held_elsewhere(desk.settings.data_dir) as holder:
        busy = f"another ingest is running \\(pid {holder.pid}\\)"
        with pytest.raises(WriterBusy, match=busy), writer_lock(desk.settings.data_dir, wait=False):
            pass
        reopened = Newsdesk(desk.settings, embeddings=desk.embeddings)
        assert orphan in _chunk_owners(reopened), "swept the chunks of an article another process was writing"
    assert orphan not in _chunk_owners(Newsdesk(desk.settings, embeddings=desk.embeddings))


def test_a_second_ingest_waits_for_the_first_even_when_that_one_is_killed(settings: BotSettings,
                                                                         tmp_path: Path) -> None:
    story = _write_json(tmp_path / "story.json", "Ferry deal", GOOD)
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(settings.data_dir)}
    with _lock_held_elsewhere(settings.data_dir) as holder, subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ingest", str(story)], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as second:
        try:
            assert second.stderr is not None
            line = second.stderr.readline()
            assert f"another ingest is running (pid {holder.pid}): waiting" in line, line
            time.sleep(0.5)
            assert second.poll() is None, "the second ingest went ahead while the first held the lock"
            holder.send_signal(signal.SIGKILL)  # a killed holder: the kernel drops its lock
            out, err = second.communicate(timeout=240)
        finally:
            second.kill()
    assert second.returncode == 0, err
    assert out.startswith("added 1,") and "Traceback" not in err, (out, err)


WRITER = """
import random, sys, time
from ingest.settings import IngestSettings
from ingest.store import open_client
collection = open_client(IngestSettings(_env_file=None, data_dir=sys.argv[1])).get_collection(sys.argv[2])
print("writing", flush=True)
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:  # chunks come and go, as an ingest that updates articles makes them
    ids = [f"c-tmp{random.randrange(10**9)}" for _ in range(6)]
    meta = {"article_id": "a-tmp", "title": "Temporary", "source_path": "tmp.txt", "start": 0, "end": 4}
    collection.add(ids=ids, embeddings=[[random.random() for _ in range(384)] for _ in ids],
                   documents=["text" for _ in ids], metadatas=[meta for _ in ids])
    collection.delete(ids=ids)
    time.sleep(0.02)  # an ingest embeds between its writes; a writer that never pauses starves every reader
"""


def test_the_index_export_reads_a_consistent_set_while_another_process_writes(desk: Newsdesk, tmp_path: Path) -> None:
    records = [{"title": f"Story {i}", "body": f"{GOOD} Story {i}."} for i in range(8)]
    (tmp_path / "stories.json").write_text(json.dumps(records))
    assert not desk.ingest([tmp_path / "stories.json"]).failed
    stable = set(desk.store.chunk_ids())
    args = [sys.executable, "-c", WRITER, str(desk.settings.data_dir), desk.store.name, "4"]
    with subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True) as writer:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        exports = 0
        while writer.poll() is None:
            export = desk.store.export_chunks(batch=3)  # small pages, so the writer lands between them
            assert len(export.ids) == len(set(export.ids)) == len(export.passages) == export.vectors.shape[0]
            assert stable <= set(export.ids), "a stable chunk went missing from the export"
            exports += 1
    assert writer.returncode == 0 and exports > 3, (writer.returncode, exports)
