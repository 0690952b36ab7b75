"""The store against real Chroma: on disk in tmp_path, and a real `chroma run` server over HTTP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from langchain_core.embeddings import Embeddings

from bot.settings import BotSettings
from ingest.articles import read_article_file
from ingest.chunking import chunk_article
from ingest.embedder import MODEL_NAME, MiniLMEmbeddings
from ingest.pipeline import ingest_sources
from ingest.store import ChunkStore, collection_name
from tests.conftest import SAMPLES


class CountingEmbeddings(Embeddings):
    """Our MiniLM, counting the documents it embeds; ``fail_on`` makes one text raise, like a crash mid-ingest."""

    def __init__(self, inner: MiniLMEmbeddings, fail_on: str | None = None) -> None:
        self.inner, self.fail_on, self.embedded = inner, fail_on, 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.fail_on and any(self.fail_on in t for t in texts):
            raise KeyboardInterrupt("interrupted while embedding")
        self.embedded += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def _open(settings: BotSettings, embeddings: Embeddings) -> ChunkStore:
    return ChunkStore.open(settings, embeddings, embedding_model=MODEL_NAME, tokenizer="cl100k_base")


def _all_chunk_ids(store: ChunkStore) -> list[str]:
    return sorted(p.chunk_id for p in store.search("harbour", k=1000))


def test_reingest_keeps_ids_and_counts_and_does_not_embed(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    counting = CountingEmbeddings(embeddings)
    store = _open(settings, counting)
    first = ingest_sources([str(SAMPLES)], store, settings)
    assert len(first.added) == 6 and not first.failed
    ids, embedded = _all_chunk_ids(store), counting.embedded
    assert embedded == first.chunks == store.count_chunks()

    reopened = _open(settings, counting)  # a new process would reopen the same collection
    second = ingest_sources([str(SAMPLES)], reopened, settings)
    assert second.added == [] and sorted(second.unchanged) == sorted(first.added)
    assert counting.embedded == embedded, "an unchanged article must not be embedded again"
    assert _all_chunk_ids(reopened) == ids and reopened.count_chunks() == store.count_chunks()


def test_interrupted_ingest_leaves_no_half_article(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    crashing = CountingEmbeddings(embeddings, fail_on="Voltaris")  # only in the battery-plant article
    store = _open(settings, crashing)
    with pytest.raises(KeyboardInterrupt):
        ingest_sources([str(SAMPLES)], store, settings)
    listed = {r.title for r in store.articles()}
    assert all("battery" not in title.lower() for title in listed)
    assert store.count_chunks() == sum(r.chunk_count for r in store.articles())

    resumed = ingest_sources([str(SAMPLES)], _open(settings, CountingEmbeddings(embeddings)), settings)
    assert len(resumed.added) == 6 - len(listed) and not resumed.failed
    final = _open(settings, embeddings)
    assert len(final.articles()) == 6
    assert final.count_chunks() == sum(r.chunk_count for r in final.articles()), "no duplicate chunks"


def test_delete_article_removes_its_chunks(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    store = _open(settings, embeddings)
    article = read_article_file(SAMPLES / "01-harbour-ferry-strike.txt")
    chunks = chunk_article(article.id, article.body, max_tokens=80, overlap=10)
    assert store.add_article(article, chunks)
    assert store.count_chunks() == len(chunks)
    assert store.delete_article(article.id)
    assert store.count_chunks() == 0 and store.articles() == []
    assert not store.delete_article(article.id)


def test_search_returns_verbatim_passages_best_first(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    store = _open(settings, embeddings)
    ingest_sources([str(SAMPLES)], store, settings)
    passages = store.search("sea-grass meadows restoration study", k=4)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    assert "seagrass" in passages[0].title.lower() or "sea-grass" in passages[0].title.lower()
    for passage in passages:
        assert store.article_body(passage.article_id)[passage.start : passage.end] == passage.text


def test_collection_name_encodes_what_built_it() -> None:
    base = collection_name(MODEL_NAME, "cl100k_base", 200, 30)
    assert base.startswith("news_") and base == collection_name(MODEL_NAME, "cl100k_base", 200, 30)
    assert base != collection_name(MODEL_NAME, "cl100k_base", 150, 30)
    assert base != collection_name("other-model", "cl100k_base", 200, 30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[str]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    if chroma is None:
        pytest.skip("the `chroma` command is not installed next to this Python")
    port = _free_port()
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "chroma run exited early"
            assert time.monotonic() < deadline, "chroma run did not answer within 30 s"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_same_code_through_a_chroma_server(chroma_server: str, tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    settings = BotSettings(data_dir=tmp_path / "unused", chroma_url=chroma_server)
    store = _open(settings, embeddings)
    report = ingest_sources([str(SAMPLES)], store, settings)
    assert len(report.added) == 6
    again = ingest_sources([str(SAMPLES)], _open(settings, embeddings), settings)
    assert len(again.unchanged) == 6 and again.chunks == 0
    assert store.search("ferry strike", k=1)[0].title.lower().find("ferry") >= 0
    assert not (tmp_path / "unused").exists(), "with a server URL nothing is written locally"


def test_article_stored_without_its_publication_is_kept(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    store = _open(settings, embeddings)
    article = read_article_file(SAMPLES / "01-harbour-ferry-strike.txt")
    # A run stopped right after the article went in, before its location was recorded.
    store.add_article(article, chunk_article(article.id, article.body, max_tokens=200, overlap=30))
    report = ingest_sources([str(SAMPLES / "06-seagrass-restoration-study.txt")], store, settings)
    assert len(report.added) == 1
    assert {r.id for r in store.articles()} == {article.id, report.added[0]}
    assert [p.location for p in store.publications(article.id)] == [article.location]


def test_leftover_of_an_interrupted_update_is_dropped(settings: BotSettings, embeddings: MiniLMEmbeddings,
                                                      tmp_path: Path) -> None:
    store = _open(settings, embeddings)
    story = tmp_path / "story.txt"
    story.write_text("Ferry deal\nThe operator and the union agreed a new roster on Monday.\n")
    first = ingest_sources([str(story)], store, settings).added[0]
    story.write_text("Ferry deal\nTalks between the operator and the union broke down on Monday.\n")
    old = read_article_file(story)
    # The new text went in and took the location, but the run stopped before the old text was removed.
    store.add_article(old, chunk_article(old.id, old.body, max_tokens=200, overlap=30))
    store.set_publication(old)
    assert {r.id for r in store.articles()} == {first, old.id}
    ingest_sources([str(SAMPLES / "06-seagrass-restoration-study.txt")], store, settings)
    assert first not in {r.id for r in store.articles()}, "the replaced text must not linger"
    assert old.id in {r.id for r in store.articles()}
