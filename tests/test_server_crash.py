"""Crash safety and concurrency on a real Chroma server (#14 item 3).

A data directory's lock protects nothing on a shared server, so these tests use real processes, each with its
own data directory, as separate machines would: ``newsdesk ingest`` SIGKILLed at seeded random moments and run
again, and two ingests into one server at once. After each kill every stored article is whole (its record, the
commit marker, only exists with all its chunks); after the rerun nothing is missing, duplicated or orphaned and
the counts equal those of a clean ingest of the same files into an on-disk store.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.embedder import MiniLMEmbeddings
from ingest.store import opened_client
from tests.conftest import ROOT, Closing

SEED = 1414
KILLS = 5
WORDS = ("harbour council ferry union strike barrier flood budget tide pier market river bridge school water "
         "storm power plant battery grid rail station mayor vote report survey crews hours wages port").split()


def _corpus(folder: Path, prefix: str, count: int, rng: random.Random) -> Path:
    """``count`` made-up articles of two chunks each, each text different from every other."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        sentences = [f"{prefix.title()} report {n}, sentence {i}: the " + " ".join(rng.choices(WORDS, k=14)) + "."
                     for i in range(24)]
        (folder / f"{prefix}-{n:02d}.txt").write_text(f"{prefix.title()} story number {n}\n" + " ".join(sentences))
    return folder


def _ingest_process(settings: BotSettings, data_dir: Path, *sources: Path) -> subprocess.Popen[str]:
    env = os.environ | {"NEWSDESK_CHROMA_URL": str(settings.chroma_url), "NEWSDESK_DATA_DIR": str(data_dir),
                        "NEWSDESK_CHUNK_OVERLAP": str(settings.chunk_overlap), "NEWSDESK_EMBED_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "ingest", *map(str, sources)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _contents(settings: BotSettings) -> tuple[dict[str, int], Counter[str], dict[str, str]]:
    """(chunk_count of every article record, chunks per article id, article id of every publication's location)."""
    desk_name = Newsdesk(settings).collection_name
    with opened_client(settings) as client:
        records = client.get_collection(f"{desk_name}_articles").get(include=["metadatas"])
        chunks = client.get_collection(desk_name).get(include=["metadatas"])
        publications = client.get_collection(f"{desk_name}_publications").get(include=["metadatas"])
    return ({i: int((m or {})["chunk_count"]) for i, m in zip(records["ids"], records["metadatas"] or [], strict=True)},
            Counter(str((m or {})["article_id"]) for m in chunks["metadatas"] or []),
            {str(m["location"]): str(m["article_id"]) for m in publications["metadatas"] or [] if m})


def _assert_whole(settings: BotSettings, when: str) -> None:
    records, chunks, _ = _contents(settings)
    broken = {a: (n, chunks[a]) for a, n in records.items() if chunks[a] != n}
    assert not broken, f"{when}: articles whose record and chunks differ (record count, chunks): {broken}"


def _clean(settings: BotSettings, embeddings: MiniLMEmbeddings, folder: Path, *sources: Path) -> tuple[int, int]:
    """(articles, chunks) of a clean ingest of ``sources`` into an on-disk store with the same chunk settings."""
    desk = Newsdesk(settings.model_copy(update={"chroma_url": None, "data_dir": folder}), embeddings=embeddings)
    try:
        report = desk.ingest(sources)
        assert not report.failed, report.failed
        return len(desk.sources()), desk.store.count_chunks()
    finally:
        desk.close()


def _assert_complete(settings: BotSettings, expected: tuple[int, int], locations: int) -> None:
    records, chunks, published = _contents(settings)
    assert set(chunks) == set(records), f"orphaned chunks of {set(chunks) - set(records)}"
    assert (len(records), sum(chunks.values())) == expected, "counts differ from a clean ingest"
    assert len(published) == locations and set(published.values()) <= set(records)
    _assert_whole(settings, "after the rerun")


def test_ingest_killed_at_random_moments_then_rerun(server_settings: BotSettings, tmp_path: Path,
                                                    embeddings: MiniLMEmbeddings, closing: Closing) -> None:
    rng = random.Random(SEED)
    corpus = _corpus(tmp_path / "corpus", "harbour", 10, rng)
    expected = _clean(server_settings, embeddings, tmp_path / "clean", corpus)
    killed = 0
    for attempt in range(KILLS + 3):  # a run that finished before its kill moment does not count
        process = _ingest_process(server_settings, tmp_path / f"killed-{attempt}", corpus)
        assert process.stderr is not None
        first = process.stderr.readline()  # "ingest: 1 article, …": the run is writing
        time.sleep(rng.uniform(0.0, 1.0))
        if process.poll() is None and first:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=60)
        process.stderr.close()
        _assert_whole(server_settings, f"after kill {attempt}")
        if killed == KILLS:
            break
    assert killed == KILLS, f"only {killed} runs were still writing at their kill moment"
    rerun = closing(Newsdesk(server_settings.model_copy(update={"data_dir": tmp_path / "rerun"}),
                             embeddings=embeddings))
    report = rerun.ingest([corpus])
    assert not report.failed and not report.updated, report
    _assert_complete(server_settings, expected, locations=10)


def test_two_machines_ingesting_at_once_lose_and_duplicate_nothing(server_settings: BotSettings, tmp_path: Path,
                                                                   embeddings: MiniLMEmbeddings) -> None:
    rng = random.Random(SEED + 1)
    shared = _corpus(tmp_path / "shared", "council", 3, rng)
    own_a = _corpus(tmp_path / "a", "river", 3, rng)
    own_b = _corpus(tmp_path / "b", "storm", 3, rng)
    expected = _clean(server_settings, embeddings, tmp_path / "clean", shared, own_a, own_b)
    machines = [_ingest_process(server_settings, tmp_path / "machine-a", shared, own_a),
                _ingest_process(server_settings, tmp_path / "machine-b", own_b, shared)]
    for process in machines:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
    _assert_complete(server_settings, expected, locations=9)


@pytest.mark.parametrize("grace", [pytest.param(0.0, id="on-disk"), pytest.param(600.0, id="server")])
def test_a_sweep_on_a_server_leaves_young_chunks_to_their_writer(server_settings: BotSettings, tmp_path: Path,
                                                                  embeddings: MiniLMEmbeddings, grace: float,
                                                                  closing: Closing) -> None:
    from ingest.articles import build_article
    from ingest.chunking import chunk_article

    desk = closing(Newsdesk(server_settings, embeddings=embeddings))
    article = build_article(title="Gulls", paragraphs=["The keeper counted 412 gulls on the breakwater."],
                            source=str(tmp_path / "gulls.txt"))
    desk.store.add_article(article, chunk_article(article.id, article.body, max_tokens=200, overlap=30))
    # What another machine leaves between its chunk write and its record write.
    with opened_client(server_settings) as client:
        client.get_collection(f"{desk.store.name}_articles").delete(ids=[article.id])
    desk.store.orphan_grace = grace
    swept = desk.store.sweep_orphans()
    assert swept == ([] if grace else [article.id]), "young chunks stay; old ones are a killed run's leftovers"


def test_another_machines_update_between_its_two_writes_is_left_alone(server_settings: BotSettings, tmp_path: Path,
                                                                       embeddings: MiniLMEmbeddings,
                                                                       closing: Closing) -> None:
    from ingest.articles import read_article_file
    from ingest.chunking import chunk_article

    first = closing(Newsdesk(server_settings.model_copy(update={"data_dir": tmp_path / "a"}), embeddings=embeddings))
    story = tmp_path / "story.txt"
    story.write_text("Ferry deal\nThe operator and the union agreed a new roster on Monday.\n")
    old_id = first.ingest([story]).added[0]
    story.write_text("Ferry deal\nTalks between the operator and the union broke down on Monday.\n")
    new = read_article_file(story)
    # Machine B is updating the location: the new text's record is in, its publication not yet.
    first.store.add_article(new, chunk_article(new.id, new.body, max_tokens=200, overlap=server_settings.chunk_overlap))
    other = closing(Newsdesk(server_settings.model_copy(update={"data_dir": tmp_path / "c"}), embeddings=embeddings))
    assert not other.ingest([tmp_path / "unrelated.txt"]).added  # machine C's run reads the state meanwhile
    assert {r.id for r in other.sources()} == {old_id, new.id}, "C must not delete what B is writing"
