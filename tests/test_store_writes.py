"""New articles go into Chroma in groups (#14 item 4: ingest throughput), and stay all-or-nothing.

- An ingest of the samples writes its new articles together: the collection's change token, renewed by every
  write, does not move while the articles are read and embedded, only once they are written.
- A run killed between a group's chunk write and its record write leaves every article of the group wholly
  absent: chunks without records, which the next sweep removes, and the next ingest stores them all.
- One article whose write fails fails alone, as it did when each article was written on its own.
- Ctrl-C keeps the articles embedded before it (they are complete), as a run writing one by one did.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings

from bot.settings import BotSettings
from ingest.chunking import chunk_article
from ingest.embedder import MODEL_NAME, MiniLMEmbeddings
from ingest.loaders import load_source
from ingest.pipeline import ARTICLES_PER_WRITE, ingest_sources
from ingest.store import ChunkStore, PreparedArticle, opened_client
from ingest.store_writes import write_chunks_then_records
from ingest.types import Article
from tests.conftest import SAMPLES

#: The sample that fails to write in the test of a failing write.
FAILING = "04-heatwave-water-restrictions.txt"


def _open(settings: BotSettings, embeddings: Embeddings, store_class: type[ChunkStore] = ChunkStore) -> ChunkStore:
    return store_class.open(settings, embeddings, embedding_model=MODEL_NAME, tokenizer="cl100k_base")


def _whole(store: ChunkStore) -> bool:
    """Every record's chunk count equals its chunks in the collection, and no chunk lacks a record."""
    chunks: dict[str, int] = {}
    for passage in store.export_chunks().passages:
        chunks[passage.article_id] = chunks.get(passage.article_id, 0) + 1
    return chunks == {r.id: r.chunk_count for r in store.articles()}


def test_new_articles_are_written_together_once_embedded(settings: BotSettings,
                                                         embeddings: MiniLMEmbeddings) -> None:
    store = _open(settings, embeddings)
    store.sweep_orphans()
    tokens = [store.revision().token]
    report = ingest_sources([str(SAMPLES)], store, settings, on_article=lambda: tokens.append(store.revision().token))
    assert 1 < len(report.added) <= ARTICLES_PER_WRITE and not report.failed, report
    assert len(set(tokens)) <= 2, f"the change token moved after each article, i.e. one write each: {tokens}"
    assert store.revision().token != tokens[-1], "the group is written (and announced) at the end of the run"
    assert len(store.articles()) == len(report.added) + len(report.linked) and _whole(store)
    assert store.count_chunks() == report.chunks


class _KilledOnRecords:
    """A Chroma collection whose writes stop the process, as a SIGKILL at that moment would."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def upsert(self, **_: Any) -> None:
        raise SystemExit("killed before the records were written")


def _prepared(store: ChunkStore) -> list[PreparedArticle]:
    articles = [a for path in sorted(SAMPLES.iterdir())[:3] for a in load_source(str(path), "auto", None)]
    assert all(isinstance(a, Article) for a in articles)
    return [p for a in articles if (p := store.prepare_article(a, chunk_article(a.id, a.body, max_tokens=200,
                                                                                overlap=30)))]


def test_a_group_killed_before_its_records_is_wholly_absent_then_stored(settings: BotSettings,
                                                                          embeddings: MiniLMEmbeddings) -> None:
    store = _open(settings, embeddings)
    group = _prepared(store)
    with opened_client(settings) as client:
        chunks, records = client.get_collection(store.name), client.get_collection(f"{store.name}_articles")
        with pytest.raises(SystemExit):
            write_chunks_then_records(chunks, _KilledOnRecords(records), group, max_upsert=5000)
    assert store.count_chunks() == sum(len(p.chunk_ids) for p in group), "the chunks go in before the records"
    assert store.articles() == [], "no record was written, so no article is listed"
    assert sorted(store.sweep_orphans()) == sorted(p.article_id for p in group)
    assert store.count_chunks() == 0
    report = ingest_sources([str(SAMPLES)], _open(settings, embeddings), settings)
    assert not report.failed and {p.article_id for p in group} <= set(report.added)
    assert _whole(_open(settings, embeddings))


class _FailsToWriteOne(ChunkStore):
    """Our store, refusing every write that includes the article of ``FAILING`` (a row Chroma rejects, say)."""

    def write_articles(self, articles: list[PreparedArticle], publications: Any = ()) -> None:
        if any(FAILING in str(a.record.get("source_path")) for a in articles):
            raise ValueError("this article cannot be written")
        super().write_articles(articles, publications)


def test_an_article_that_cannot_be_written_fails_alone(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    store = _open(settings, embeddings, _FailsToWriteOne)
    report = ingest_sources([str(SAMPLES)], store, settings)
    assert [Path(f.source).name for f in report.failed] == [FAILING], report.failed
    assert "cannot be written" in report.failed[0].error
    assert len(report.added) + len(report.linked) == len(list(SAMPLES.iterdir())) - 1
    assert len(store.articles()) == len(report.added) + len(report.linked) and _whole(store)
    assert store.count_chunks() == report.chunks, "the failed article's chunks are not counted"
    assert all(FAILING not in p.source_path for p in store.publications())
    again = ingest_sources([str(SAMPLES)], _open(settings, embeddings), settings)
    assert [Path(a).name for a in again.added] != [] and not again.failed, "the next run stores it"


class _InterruptedOn(Embeddings):
    """Our MiniLM, with Ctrl-C pressed while it embeds the text that holds ``word``."""

    def __init__(self, inner: MiniLMEmbeddings, word: str) -> None:
        self.inner, self.word = inner, word

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if any(self.word in text for text in texts):
            raise KeyboardInterrupt
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_ctrl_c_keeps_the_articles_embedded_before_it(settings: BotSettings, embeddings: MiniLMEmbeddings) -> None:
    store = _open(settings, _InterruptedOn(embeddings, "Voltaris"))  # only in the battery-plant article (05)
    with pytest.raises(KeyboardInterrupt):
        ingest_sources([str(SAMPLES)], store, settings)
    reopened = _open(settings, embeddings)
    kept = {Path(r.source_path).name for r in reopened.articles()}
    assert kept >= {"01-harbour-ferry-strike.txt", "04-heatwave-water-restrictions.txt"}, kept
    assert all("battery" not in name for name in kept) and _whole(reopened)
    assert {Path(p.source_path).name for p in reopened.publications()} == kept, "each with its publication"
