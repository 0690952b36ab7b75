"""The library API the adapters call: ingest files, ask questions, list sources.

Built once per entry point from ``BotSettings``; the embedder and the store open on first use, so
``newsdesk --help`` and usage errors stay instant.
"""

from __future__ import annotations

import logging
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from functools import cached_property, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from bot.errors import LLMUnavailable, NoArticlesIngested, QuestionTooLong, StoreError
from bot.settings import BotSettings
from ingest.outlets import OutletRegistry
from ingest.types import ArticleRecord, IngestReport, Outlet, OutletRef, Passage

if TYPE_CHECKING:  # imported where used: chromadb, onnxruntime and bm25s cost seconds that `--help` must not pay
    from bot.answering.followup import QuestionRewriter
    from bot.answering.generative import GenerativeAnswerer
    from bot.research.brief import Brief
    from bot.retrieval.ranking import LinearRanker
    from bot.retrieval.retriever import Filters, HybridRetriever, Retrieval
    from bot.types import Answer
    from ingest.embedder import MiniLMEmbeddings
    from ingest.pipeline import WriterBusy
    from ingest.snapshot import Snapshot
    from ingest.store import ChunkStore, StoreRevision

logger = logging.getLogger(__name__)


def __getattr__(name: str) -> Any:
    # `from bot.service import Filters` keeps working without importing the retriever at start-up.
    if name in ("Filters", "Retrieval"):
        from bot.retrieval import retriever

        return getattr(retriever, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

TOKENIZER_NAME = "cl100k_base"
#: ``ingest.embedder.MODEL_NAME``, copied: importing the embedder costs `newsdesk sources` half a second of numpy
#: and LangChain it never uses (tests/test_cli_startup.py keeps the two equal).
EMBEDDING_MODEL = "all-MiniLM-L6-v2-int8"


P = ParamSpec("P")
R = TypeVar("R")


def _store_errors(method: Callable[P, R]) -> Callable[P, R]:
    """``method``, with a store that cannot be reached (a Chroma server gone mid-call) raised as ``StoreError``,
    which each adapter shows in one line; the next call tries the server again."""

    @wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except Exception as error:
            # Looked up only on failure: a call served from the snapshot never imports the store (or chromadb).
            store_client = sys.modules.get("ingest.store_client")
            if store_client is not None and isinstance(error, store_client.StoreUnavailable):
                raise StoreError(str(error)) from None
            raise

    return call


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _say_waiting(busy: WriterBusy) -> None:
    logger.warning("%s: waiting for it to finish", busy)


class _EmbeddingsOnDemand:
    """Hands the store the desk's embedder only when it embeds: listing or removing articles never loads the model."""

    def __init__(self, desk: Newsdesk) -> None:
        self._desk = desk

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._desk.embeddings.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._desk.embeddings.embed_query(text)


class Newsdesk:
    """One collection, its embedder and the outlet registry."""

    def __init__(
        self,
        settings: BotSettings,
        *,
        registry: OutletRegistry | None = None,
        embeddings: MiniLMEmbeddings | None = None,
        ranker: LinearRanker | None = None,
        collection_prefix: str = "news",
    ) -> None:
        """``ranker``: other fusion weights than the shipped ones (cross-validation fits one per fold).
        ``collection_prefix``: another family of collections in the same store (the evaluation's on a server)."""
        self.settings = settings
        self.collection_prefix = collection_prefix
        self.ranker = ranker
        self.registry = registry or OutletRegistry.load(settings.data_dir, cache_dir=settings.cache_folder)
        if embeddings is not None:  # a loaded model can be shared, e.g. between chats or tests
            self.__dict__["embeddings"] = embeddings
        #: An embedder the desk made itself is its own to trim after an ingest; a shared one may be busy elsewhere.
        self._owns_embeddings = embeddings is None
        self._retriever: HybridRetriever | None = None
        self._retriever_lock = threading.Lock()
        self._retriever_revision: StoreRevision | None = None
        self._retriever_checked = 0.0
        #: The store revision of the snapshot the retriever was built from; None: built from the store.
        self._snapshot_revision: str | None = None

    @cached_property
    def embeddings(self) -> MiniLMEmbeddings:
        from ingest.embedder import MiniLMEmbeddings

        return MiniLMEmbeddings(batch_size=self.settings.embed_batch_size, threads=self.settings.embed_threads,
                                cache_dir=self.settings.cache_folder)

    @cached_property
    @_store_errors
    def store(self) -> ChunkStore:
        from ingest.embedder import MODEL_NAME
        from ingest.pipeline import WriterBusy, writer_lock
        from ingest.store import ChunkStore, StoreUnavailable

        try:
            store = ChunkStore.open(
                self.settings, _EmbeddingsOnDemand(self),  # type: ignore[arg-type]  # duck-typed Embeddings
                embedding_model=MODEL_NAME, tokenizer=TOKENIZER_NAME, prefix=self.collection_prefix,
            )
        except StoreUnavailable as error:
            raise StoreError(str(error)) from error
        # Chunks a killed ingest left without their record would be cited by `ask` but never listed or removable.
        # A running ingest may be between the two writes of an article: then it is its own sweep that counts.
        # A read-only data directory (OSError on the lock file) is read as it is.
        with suppress(WriterBusy, OSError), writer_lock(self.settings.data_dir, wait=False):
            store.sweep_orphans()  # renews the store's revision when it deletes (ingest.snapshot)
        return store

    def close(self) -> None:
        """Let go of the store's Chroma client (a server's HTTP connections, an on-disk store's files). Entry points
        call it on their way out; a later call that needs the store opens it again."""
        store = self.__dict__.pop("store", None)
        if store is not None:
            store.close()

    def _new_revision(self) -> None:
        """Before a write (the writer lock held): every snapshot of the store is stale from now on."""
        if not self.settings.chroma_url:
            from ingest.snapshot import new_revision

            new_revision(self.settings.chroma_dir)

    def _save_snapshot(self) -> list[ArticleRecord]:
        """The store's article records, saved as the collection's snapshot with its chunk fingerprint (the writer
        lock held, so nothing writes between the revision read here and the reads of the store)."""
        from ingest.article_bodies import bodies_path, save_bodies
        from ingest.search_index import fingerprint
        from ingest.snapshot import Snapshot, new_revision, save_snapshot, snapshot_path, store_revision

        store = self.store
        store.sweep_orphans()
        revision = store_revision(self.settings.chroma_dir) or new_revision(self.settings.chroma_dir)
        records = store.articles()
        ids = store.chunk_ids()
        path = snapshot_path(self.settings.data_dir, store.name)
        # The bodies first: a reader that finds the snapshot current finds its bodies too.
        save_bodies(bodies_path(path), revision=revision, collection=store.name, bodies=store.article_bodies())
        save_snapshot(path, Snapshot(revision, store.name, fingerprint(ids), len(ids), tuple(records)))
        return records

    def _snapshot(self) -> Snapshot | None:
        """The collection's snapshot when it is current (an embedded store only: a server is always asked)."""
        if self.settings.chroma_url:
            return None
        from ingest.snapshot import load_snapshot, snapshot_path

        name = self.collection_name
        return load_snapshot(snapshot_path(self.settings.data_dir, name), collection=name,
                             store_dir=self.settings.chroma_dir)

    @_store_errors
    def ingest(
        self, sources: Iterable[str | Path], *, fmt: str = "auto", on_source: Callable[[str], None] | None = None,
        on_article: Callable[[], None] | None = None,
    ) -> IngestReport:
        """Ingest files, folders and URLs (see ``ingest.pipeline``); the search index follows the collection.

        One ingest (or remove) at a time: a second one waits for the first, saying so on the log."""
        from ingest.pipeline import ingest_sources, writer_lock

        store = self.store
        with writer_lock(self.settings.data_dir, on_wait=_say_waiting):
            self._new_revision()
            report = ingest_sources(
                [str(s) for s in sources], store, self.settings, fmt=fmt,
                count_word_pieces=self.embeddings.count_word_pieces, on_source=on_source, on_article=on_article,
            )
            if report.added or report.updated or report.linked:
                if self._owns_embeddings and "embeddings" in self.__dict__:
                    self.embeddings.release_batch_session()  # before the index build: their peaks do not add up
                self._refresh_index()
            if not self.settings.chroma_url:
                self._save_snapshot()
        return report

    def _refresh_index(self) -> None:
        # Built now, at the end of an ingest, so the next question does not wait for it.
        self._retriever, self._retriever_revision, self._snapshot_revision = None, None, None
        if self.store.count_chunks():
            self.retriever()

    @_store_errors
    def remove(self, ids_or_locations: Iterable[str]) -> tuple[list[str], list[str]]:
        from ingest.pipeline import remove_articles, writer_lock

        store = self.store
        with writer_lock(self.settings.data_dir, on_wait=_say_waiting):
            self._new_revision()
            removed, missing = remove_articles(ids_or_locations, store)
            if removed:
                self._refresh_index()
            if not self.settings.chroma_url:
                self._save_snapshot()
        return removed, missing

    @_store_errors
    def article_body(self, article_id: str) -> str | None:
        """The full text of an ingested article (quotes are ``body[start:end]``)."""
        if not self.settings.chroma_url and "store" not in self.__dict__:
            # Served from the snapshot: its bodies, written with it, spare a bot chromadb (#14). Good at the store's
            # present revision (as the store would answer) or at the one the answers come from (as they quoted).
            from ingest.article_bodies import bodies_path, load_body
            from ingest.snapshot import snapshot_path, store_revision

            name = self.collection_name
            body = load_body(bodies_path(snapshot_path(self.settings.data_dir, name)), article_id, collection=name,
                             revisions=(store_revision(self.settings.chroma_dir), self._snapshot_revision))
            if body is not None:
                return body
        return self.store.article_body(article_id)

    @_store_errors
    def article(self, article_id: str) -> ArticleRecord | None:
        """An ingested article's record (title, date, provenance), or None for an unknown id."""
        return self.store.article(article_id)

    @_store_errors
    def publishers(self, article_id: str) -> list[OutletRef | None]:
        """The site of every location that carries the article: its publisher and any republishers."""
        return [publication.publisher for publication in self.store.publications(article_id)]

    @_store_errors
    def sources(self) -> list[ArticleRecord]:
        """The ingested articles: from the collection's snapshot when it is current, which needs no Chroma."""
        if (snapshot := self._snapshot()) is not None:
            return list(snapshot.articles)
        if self.settings.chroma_url:
            return self.store.articles()
        from ingest.pipeline import WriterBusy, writer_lock

        try:
            with writer_lock(self.settings.data_dir, wait=False):
                return self._save_snapshot()
        except (WriterBusy, OSError):  # an ingest is running (it writes the next snapshot), or a read-only folder
            return self.store.articles()

    @_store_errors
    def count_chunks(self) -> int:
        """How many chunks the collection holds (a server asked here may have gone away: ``StoreError``)."""
        return self.store.count_chunks()

    @property
    def index_folder(self) -> Path:
        """Where the lexical index and vectors of the collection are cached."""
        return self.settings.data_dir / "index" / self.store.name

    @property
    def collection_name(self) -> str:
        """The name of the collection the settings select (it records what built it: model, tokenizer, chunks)."""
        from ingest.snapshot import collection_name

        s = self.settings
        return collection_name(EMBEDDING_MODEL, TOKENIZER_NAME, s.chunk_tokens, s.chunk_overlap,
                               prefix=self.collection_prefix)

    def collection_exists(self) -> bool:
        """Whether the store holds the collection, without creating it (opening the store would)."""
        from ingest.store import StoreUnavailable, opened_client
        from ingest.store_client import where

        if "store" in self.__dict__:
            return True
        try:
            with opened_client(self.settings) as client:
                names = {collection.name for collection in client.list_collections()}
        except StoreUnavailable as error:  # already one line, without the URL's credentials
            raise StoreError(str(error)) from None
        except Exception as error:  # chromadb raises plain ValueError/ConnectError variants here
            raise StoreError(f"cannot open the Chroma store at {where(self.settings)}: {error}") from error
        return self.collection_name in names

    def empty_message(self) -> str:
        """Why the collection is empty, naming the fix: ingest, or the chunk settings of a collection that is not."""
        from ingest.store import opened_client

        s = self.settings
        here = f"{s.chunk_tokens}-token chunks (overlap {s.chunk_overlap})"
        # The hint is a courtesy: a store that cannot list gets the plain message.
        with suppress(Exception), opened_client(s) as client:
            names = {collection.name for collection in client.list_collections()}
            for name in sorted(names):
                if not name.startswith("news_") or name.endswith(("_articles", "_publications")):
                    continue
                meta = client.get_collection(name).metadata or {}
                tokens, overlap = meta.get("chunk_tokens"), meta.get("chunk_overlap")
                stored = client.get_collection(f"{name}_articles").count() if f"{name}_articles" in names else 0
                if name == self.collection_name or not stored or tokens is None:
                    continue
                fix = f"NEWSDESK_CHUNK_TOKENS={tokens}"
                if overlap != s.chunk_overlap:
                    fix += f" and NEWSDESK_CHUNK_OVERLAP={overlap}"
                return (f"the collection for {here} is empty; {_count(stored, 'article')} "
                        f"{'is' if stored == 1 else 'are'} stored for {tokens}-token chunks (overlap {overlap}): "
                        f"set {fix}, or re-ingest with `newsdesk ingest PATH`")
        return NoArticlesIngested().user_message

    @_store_errors
    def reset(self) -> list[str]:
        """Delete the collection the settings select (chunks, article records, publications) and its index cache.

        Returns what was removed, in words; other collections (other chunk settings, the eval's) stay."""
        from ingest.pipeline import writer_lock
        from ingest.store import opened_client

        removed: list[str] = []
        with writer_lock(self.settings.data_dir, on_wait=_say_waiting):
            self._new_revision()
            name = self.collection_name
            if self.collection_exists():
                store = self.store
                articles, chunks = len(store.articles()), store.count_chunks()
                with opened_client(self.settings) as client:
                    for part in (name, f"{name}_articles", f"{name}_publications"):
                        with suppress(Exception):  # a part a killed run never created
                            client.delete_collection(part)
                removed.append(f"collection {name} ({_count(articles, 'article')}, {_count(chunks, 'chunk')})")
            index = self.settings.data_dir / "index" / name
            if index.exists():
                shutil.rmtree(index)
                removed.append(f"index {index}")
            from ingest.article_bodies import bodies_path
            from ingest.snapshot import snapshot_path

            snapshot_path(self.settings.data_dir, name).unlink(missing_ok=True)
            bodies_path(snapshot_path(self.settings.data_dir, name)).unlink(missing_ok=True)
            self.close()
            self._retriever, self._retriever_revision, self._snapshot_revision = None, None, None
        return removed

    @_store_errors
    def retriever(self) -> HybridRetriever:
        """The retriever over the current collection; rebuilt when the collection's chunks changed.

        Thread-safe: the Telegram bot answers from worker threads, and only one of them rebuilds.
        """
        with self._retriever_lock:
            return self._current_retriever()

    def _current_retriever(self) -> HybridRetriever:
        from bot.retrieval.retriever import HybridRetriever
        from ingest.search_index import load_or_build

        if self._snapshot_revision is not None:  # built from a snapshot: good while the store keeps its revision
            from ingest.snapshot import store_revision, writer_busy

            if self._retriever is not None and store_revision(self.settings.chroma_dir) == self._snapshot_revision:
                return self._retriever
            serving, served = self._retriever, self._snapshot_revision
            self._retriever, self._snapshot_revision = None, None
            if (fast := self._retriever_from_snapshot()) is not None:
                return fast
            if serving is not None and writer_busy(self.settings.data_dir):
                # Another process is writing, and writes a fresh snapshot when done: until then the last one
                # answers, and a bot serving from snapshots never opens Chroma (#14).
                self._retriever, self._snapshot_revision = serving, served
                return serving
        if self._retriever is None and (fast := self._retriever_from_snapshot()) is not None:
            return fast
        now = time.monotonic()
        if self._retriever is not None and now - self._retriever_checked < self.settings.index_recheck_seconds:
            return self._retriever
        # Another process (on this machine, or another one sharing a Chroma server) may have written: its
        # writes replace the collection's change token, read here before the index, so a write that lands
        # while the index is built shows as a new token at the next check.
        revision = self.store.revision()
        self._retriever_checked = now
        if self._retriever is not None and revision == self._retriever_revision:
            return self._retriever
        if revision.chunks == 0:
            self._retriever, self._retriever_revision = None, None
            raise NoArticlesIngested(self.empty_message())
        index = load_or_build(self.store, self.index_folder)
        self._retriever = HybridRetriever(index, self.registry, self.embeddings.embed, ranker=self.ranker)
        self._retriever_revision = revision
        self._try_save_snapshot()
        return self._retriever

    def _retriever_from_snapshot(self) -> HybridRetriever | None:
        """A retriever over the cached search index when the snapshot vouches for it; None: ask the store."""
        from bot.retrieval.retriever import HybridRetriever
        from ingest.search_index import SearchIndex

        snapshot = self._snapshot()
        if snapshot is None or not snapshot.chunk_count:  # an empty collection's message needs the store
            return None
        folder = self.settings.data_dir / "index" / snapshot.collection
        index = SearchIndex.load(folder)
        if index is None and folder.exists():  # damaged: worth a line (a missing or older one is rebuilt quietly)
            logger.warning("the search index in %s cannot be read; reading the store instead", folder)
        if index is None or index.fingerprint != snapshot.fingerprint:
            return None
        self._retriever = HybridRetriever(index, self.registry, self.embeddings.embed, ranker=self.ranker)
        self._snapshot_revision = snapshot.revision
        return self._retriever

    def _try_save_snapshot(self) -> None:
        """Write the snapshot the next `ask` and `sources` start from, unless a writer is busy (it writes one)."""
        if self.settings.chroma_url:
            return
        from ingest.pipeline import WriterBusy, writer_lock

        with suppress(WriterBusy, OSError), writer_lock(self.settings.data_dir, wait=False):
            self._save_snapshot()

    def search(self, question: str, *, k: int | None = None, filters: Filters | None = None) -> Retrieval:
        """Passages for ``question`` and what the question names that the collection lacks.

        Raises:
            QuestionTooLong: Over ``MAX_QUESTION_CHARS``: refused rather than cut, so nobody gets an answer to half
                a question.
        """
        return self.retriever().retrieve(_checked(question), k or self.settings.top_k, filters)

    def retrieve(self, question: str, *, k: int | None = None, filters: Filters | None = None) -> list[Passage]:
        """The passages that best match ``question``, best first."""
        return self.search(question, k=k, filters=filters).passages

    def find_outlet(self, name_or_domain: str) -> Outlet | None:
        """The registry entry for an outlet name (``"RT"``), domain (``rt.com``) or URL."""
        text = name_or_domain.strip()
        return self.registry.resolve(OutletRef(name=text, domain=text.lower() if "." in text else None))

    @cached_property
    def generator(self) -> GenerativeAnswerer:
        """The model-backed answerer (imported and built on first use, so the offline path never loads it)."""
        from bot.answering.generative import GenerativeAnswerer

        return GenerativeAnswerer.from_settings(self.settings, self.registry)

    def _uses_model(self, answerer: str | None) -> bool:
        return (answerer or ("extractive" if self.settings.llm_provider == "none" else "llm")) == "llm"

    def question_rewriter(self, answerer: Literal["extractive", "llm"] | None = None) -> QuestionRewriter:
        """Rewrites follow-ups for chats: the model when one is used (``ModelRewriter``), else ``KeywordRewriter``."""
        from bot.answering.followup import KeywordRewriter

        if not self._uses_model(answerer) or self.settings.llm_provider == "none" or not self.settings.llm_model:
            return KeywordRewriter()
        from bot.answering.condense import ModelRewriter
        from bot.answering.generative import LangChainClient

        return ModelRewriter(LangChainClient(self.settings), timeout=self.settings.llm_timeout * 1.5 + 1)

    def ask(self, question: str, *, k: int | None = None, filters: Filters | None = None,
            answerer: Literal["extractive", "llm"] | None = None,
            on_text: Callable[[str], None] | None = None) -> Answer:
        """Answer ``question``: quoting the articles, or written by the configured model and checked.

        ``answerer`` overrides the setting for this call (default: "llm" when NEWSDESK_LLM_PROVIDER is set).
        ``on_text`` receives a model's raw text as it streams (the returned answer is the checked one).
        """
        from bot.answering.extractive import answer

        question = _checked(question)
        use_llm = self._uses_model(answerer)
        if use_llm and (self.settings.llm_provider == "none" or not self.settings.llm_model):
            raise LLMUnavailable("no model configured: set NEWSDESK_LLM_PROVIDER and NEWSDESK_LLM_MODEL "
                                 "(see the README, \"Answers written by a model\")")
        found = self.search(question, k=k, filters=filters)
        quoted = answer(
            question, found.passages, self.registry,
            min_relevance=self.settings.min_relevance, max_quotes=self.settings.max_quotes,
            missing_outlets=found.missing_outlets, unknown_names=found.unknown_names,
        )
        if not use_llm or quoted.abstained:  # no evidence, no model call
            return quoted
        relevant = [p for p in found.passages if p.score >= self.settings.min_relevance]
        return self.generator.answer(question, relevant, quoted, on_text=on_text)

    def research(self, question: str, filters: Filters | None = None, k: int | None = None, *,
                 filters_text: str = "", answerer: Literal["extractive", "llm"] | None = None) -> Brief:
        """A research brief for ``question``: ``ask``'s checked answer, and ``k`` passages (default
        NEWSDESK_RESEARCH_K) grouped by story and outlet, with their quotes, timeline and corroboration."""
        from bot.research.attribution import find_quotes
        from bot.research.brief import build_brief
        from bot.research.gather import gather

        question = _checked(question)
        answered = self.ask(question, filters=filters, answerer=answerer)
        found = self.search(question, k=k or self.settings.research_k, filters=filters)
        relevant = [p for p in found.passages if p.score >= self.settings.research_min_relevance]
        # A question the retriever refused (an outlet or a name the collection lacks) gets no sources under it;
        # one the answerer could not answer in a sentence still shows what the sources near it say.
        refused = bool(found.missing_outlets or found.unknown_names)
        gathered = gather([] if refused else relevant, self.registry, self.sources(), self.article_body)
        return build_brief(question, answered, gathered, filters=filters_text, find_quotes=find_quotes)


def _checked(question: str) -> str:
    """``question`` fit for retrieval and printing, or ``QuestionTooLong``."""
    from bot.retrieval.query import MAX_QUESTION_CHARS
    from ingest.articles import clean_text

    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionTooLong(len(question), MAX_QUESTION_CHARS)
    # A lone surrogate (from JSON, or undecodable bytes on a command line) would crash the embedder's tokenizer.
    return clean_text(question)
