"""The library API the adapters call: ingest files, ask questions, list sources.

Built once per entry point from ``BotSettings``; the embedder and the store open on first use, so
``newsdesk --help`` and usage errors stay instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path

from bot.answer import answer
from bot.errors import NoArticlesIngested, StoreError
from bot.settings import BotSettings
from bot.types import Answer
from ingest.embedder import MODEL_NAME, MiniLMEmbeddings
from ingest.outlets import OutletRegistry
from ingest.pipeline import ingest_sources, remove_articles
from ingest.store import ChunkStore, StoreUnavailable
from ingest.types import ArticleRecord, IngestReport, Outlet, OutletRef, Passage

TOKENIZER_NAME = "cl100k_base"


class Newsdesk:
    """One collection, its embedder and the outlet registry."""

    def __init__(
        self,
        settings: BotSettings,
        *,
        registry: OutletRegistry | None = None,
        embeddings: MiniLMEmbeddings | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry or OutletRegistry.load(settings.data_dir)
        if embeddings is not None:  # a loaded model can be shared, e.g. between chats or tests
            self.__dict__["embeddings"] = embeddings

    @cached_property
    def embeddings(self) -> MiniLMEmbeddings:
        return MiniLMEmbeddings(batch_size=self.settings.embed_batch_size, threads=self.settings.embed_threads)

    @cached_property
    def store(self) -> ChunkStore:
        try:
            return ChunkStore.open(
                self.settings, self.embeddings, embedding_model=MODEL_NAME, tokenizer=TOKENIZER_NAME
            )
        except StoreUnavailable as error:
            raise StoreError(str(error)) from error

    def ingest(
        self, sources: Iterable[str | Path], *, fmt: str = "auto", on_source: Callable[[str], None] | None = None
    ) -> IngestReport:
        """Ingest files, folders and URLs (see ``ingest.pipeline``)."""
        return ingest_sources(
            [str(s) for s in sources], self.store, self.settings, fmt=fmt,
            count_word_pieces=self.embeddings.count_word_pieces, on_source=on_source,
        )

    def remove(self, ids_or_locations: Iterable[str]) -> tuple[list[str], list[str]]:
        return remove_articles(ids_or_locations, self.store)

    def sources(self) -> list[ArticleRecord]:
        return self.store.articles()

    def retrieve(self, question: str, *, k: int | None = None) -> list[Passage]:
        """The passages that best match ``question``, best first."""
        if self.store.count_chunks() == 0:
            raise NoArticlesIngested()
        return self.store.search(question, k or self.settings.top_k)

    def find_outlet(self, name_or_domain: str) -> Outlet | None:
        """The registry entry for an outlet name (``"RT"``), domain (``rt.com``) or URL."""
        text = name_or_domain.strip()
        return self.registry.resolve(OutletRef(name=text, domain=text.lower() if "." in text else None))

    def ask(self, question: str, *, k: int | None = None) -> Answer:
        passages = self.retrieve(question, k=k)
        return answer(
            question, passages, self.registry,
            min_relevance=self.settings.min_relevance, max_quotes=self.settings.max_quotes,
        )
