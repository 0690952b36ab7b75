"""Ingest runs: load each source, then add, update, link or skip each article; one bad item never stops the rest.

Per article, by its location (canonical URL, URL or file path) and its id (hash of the text):
- location already holds this text → ``unchanged`` (nothing embedded);
- the text is already stored from elsewhere → an exact syndicated copy: ``linked`` as a new publication;
- new text → chunked, embedded and stored: ``added``, or ``updated`` when the location held other text,
  whose chunks are then removed (unless another location still publishes it).
A near copy of a stored article (MinHash, see ``ingest.dedup``) is stored too, marked ``duplicate_of`` it.
The state needed for these decisions is read from the store once per run, so an unchanged re-ingest
costs a parse and a dictionary lookup per article.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ingest.articles import ArticleParseError
from ingest.dedup import DuplicateIndex, from_hex, signature, to_hex
from ingest.domains import host_of
from ingest.settings import IngestSettings
from ingest.snapshot import WRITER_LOCK_FILE
from ingest.store import ChunkStore, PreparedArticle, clean_ref
from ingest.types import Article, Evidence, IngestFailure, IngestReport, SyndicationLink

if TYPE_CHECKING:  # the loaders import trafilatura, feedparser and httpx; `writer_lock` alone must not (#16)
    from ingest.fetch import Fetcher

logger = logging.getLogger(__name__)
#: The writer lock's file in the data directory; it holds the pid of the run that has the lock.
LOCK_FILE = WRITER_LOCK_FILE


class _RunState:
    """Locations, articles and signatures as stored, kept in step with what this run writes."""

    def __init__(self, store: ChunkStore) -> None:
        self.location_of: dict[str, str] = {}
        self.locations_by_article: dict[str, set[str]] = defaultdict(set)
        for publication in store.publications():
            self.location_of[publication.location] = publication.article_id
            self.locations_by_article[publication.article_id].add(publication.location)
        signatures = store.signatures()
        self.articles = set(signatures)
        self.duplicates = DuplicateIndex(_current_signatures(signatures, store))
        for orphan in self.articles - set(self.locations_by_article):
            record = store.article(orphan)
            if record and record.location and record.location not in self.location_of:
                # Stored before its publication was recorded (a run stopped in between): it keeps its place.
                store.set_publication(record)
                self.publish(record.location, orphan)
            elif store.is_settled(orphan):
                # The old text of a location that now holds another: a leftover of an interrupted update. (On a
                # server, a young one may instead be another machine's update between its two writes: it stays.)
                store.delete_article(orphan)
                self.duplicates.remove(orphan)
                self.articles.discard(orphan)

    def publish(self, location: str, article_id: str) -> str | None:
        """Point ``location`` at ``article_id``; returns the article it pointed at before, if any."""
        previous = self.location_of.get(location)
        if previous:
            self.locations_by_article[previous].discard(location)
        self.location_of[location] = article_id
        self.locations_by_article[article_id].add(location)
        return previous


def _current_signatures(stored: dict[str, str], store: ChunkStore) -> dict[str, np.ndarray]:
    """The stored signatures, after recomputing (and storing) those of an older MinHash scheme from the bodies."""
    current: dict[str, np.ndarray] = {}
    outdated = []
    for article_id, text in stored.items():
        sig = from_hex(text)
        if sig is None:
            outdated.append(article_id)
        else:
            current[article_id] = sig
    if outdated:
        logger.warning("recomputing the near-duplicate signatures of %d stored articles: they were written by an "
                       "older MinHash scheme (#17); this happens once", len(outdated))
    for article_id in outdated:
        body = store.article_body(article_id)
        if body is not None:
            current[article_id] = signature(body)
            store.set_signature(article_id, to_hex(current[article_id]))
    return current


def _as_near_copy(article: Article, original_id: str, similarity: float, store: ChunkStore) -> Article:
    """Mark ``article`` as a copy; without stronger evidence, credit the outlet of the article it copies."""
    known = store.article(original_id)
    evidence = Evidence("near-duplicate", f"{similarity:.0%} of its text matches {original_id}"
                        + (f" ({known.title})" if known else ""))
    original = article.original
    copies_known = known is not None and known.original is not None and known.original != article.publisher
    earlier = known is not None and (not known.published_at or not article.published_at
                                     or known.published_at <= article.published_at)
    if copies_known and earlier and article.original == article.publisher and known is not None:
        original = known.original
    return dataclasses.replace(article, duplicate_of=original_id, original=original,
                               evidence=(*article.evidence, evidence))


def _valid_url(url: str | None) -> str | None:
    if url and url.lower().startswith(("http://", "https://")) and host_of(url):
        return url
    if url:
        logger.warning("dropped the URL %r: not an http(s) URL with a valid host name", url[:200])
    return None


def checked(article: Article) -> Article:
    """``article`` as it may be stored: outlet names printable, domains valid host names, URLs http(s) with a
    valid host; what fails is dropped (and logged) rather than stored, so no reader ever meets it."""
    fixed = dataclasses.replace(
        article, publisher=clean_ref(article.publisher), original=clean_ref(article.original),
        url=_valid_url(article.url), canonical_url=_valid_url(article.canonical_url),
    )
    return article if fixed == article else fixed


#: New articles are written to Chroma in groups of this many (``ChunkStore.write_articles``), or fewer when their
#: chunks reach ``CHUNKS_PER_WRITE`` (their vectors wait in memory, about 12 KB a chunk as Python floats). Replaying
#: the full corpus's writes took 68 s of CPU one article at a time, 15 s in groups of 32 and 13 s of 64
#: (docs/benchmarks.md "Where the ingest time goes"). Other processes see a group once it is written: after at most
#: about half a minute of embedding.
ARTICLES_PER_WRITE = 64
CHUNKS_PER_WRITE = 2000


class _PendingWrites:
    """New articles at new locations, embedded and counted in the report, not yet written to the store."""

    def __init__(self) -> None:
        self.articles: list[tuple[Article, PreparedArticle]] = []

    def __contains__(self, article_id: str) -> bool:
        return any(article.id == article_id for article, _ in self.articles)

    def full(self) -> bool:
        chunks = sum(len(prepared.chunk_ids) for _, prepared in self.articles)
        return len(self.articles) >= ARTICLES_PER_WRITE or chunks >= CHUNKS_PER_WRITE

    def write(self, store: ChunkStore, state: _RunState, report: IngestReport) -> None:
        """Write them (articles, then their publications) in one go; when that fails, one by one, so that one
        bad article fails alone, as it would have unbatched. What cannot be written is taken back out of the
        report and the run's state and reported as failed."""
        pending, self.articles = self.articles, []
        if not pending:
            return
        try:
            store.write_articles([p for _, p in pending], [a for a, _ in pending])
            return
        except Exception as error:  # a batch failed: each article's own write says which one, if any, is at fault
            logger.debug("writing %d articles together failed; writing them one by one", len(pending), exc_info=error)
        for article, prepared in pending:
            try:
                store.write_articles([prepared], [article])
            except Exception as error:
                _unwritten(article, len(prepared.chunk_ids), state, report, error)


def _unwritten(article: Article, chunks: int, state: _RunState, report: IngestReport, error: Exception) -> None:
    report.added.remove(article.id)
    report.chunks -= chunks
    report.syndicated[:] = [link for link in report.syndicated if link.article_id != article.id]
    report.failed.append(_unexpected(article.source_path, error))
    state.articles.discard(article.id)
    state.duplicates.remove(article.id)
    if state.location_of.get(article.location) == article.id:
        del state.location_of[article.location]
    state.locations_by_article.pop(article.id, None)


def _store_article(article: Article, state: _RunState, store: ChunkStore, settings: IngestSettings,
                   report: IngestReport, count_word_pieces: Callable[[str], int] | None,
                   pending: _PendingWrites) -> None:
    article = checked(article)
    location = article.location
    if state.location_of.get(location) == article.id and article.id in state.articles:
        report.unchanged.append(article.id)
        return
    # Only a new text at a new location waits in ``pending``; anything else touches stored articles, so what is
    # pending goes in first and this article's writes follow at once, in the order of an unbatched run.
    batched = location not in state.location_of and article.id not in state.articles
    if not batched:
        pending.write(store, state, report)
    if article.id in state.articles:
        copy_of = article.id
        (report.updated if location in state.location_of else report.linked).append(article.id)
        report.syndicated.append(SyndicationLink(article.source_path, article.id, copy_of, 1.0))
    else:
        sig = signature(article.body)
        # The text this location held before is the article's own earlier version, not another outlet's.
        if near := state.duplicates.closest(sig, exclude=state.location_of.get(location)):
            if near[0] in pending:
                pending.write(store, state, report)  # its record is read next
            article = _as_near_copy(article, near[0], near[1], store)
            report.syndicated.append(SyndicationLink(article.source_path, article.id, near[0], round(near[1], 3)))
        from ingest.chunking import chunk_article  # tiktoken: loaded by the first article that is chunked

        chunks = chunk_article(article.id, article.body, max_tokens=settings.chunk_tokens,
                               overlap=settings.chunk_overlap, count_word_pieces=count_word_pieces)
        prepared = store.prepare_article(article, chunks, minhash=to_hex(sig))
        if prepared is not None and not batched:
            store.write_articles([prepared])
        state.articles.add(article.id)
        state.duplicates.add(article.id, sig)
        (report.updated if location in state.location_of else report.added).append(article.id)
        report.chunks += len(chunks)
        if batched and prepared is not None:
            pending.articles.append((article, prepared))
            state.publish(location, article.id)
            if pending.full():
                pending.write(store, state, report)
            return
    store.set_publication(article)
    previous = state.publish(location, article.id)
    if previous and previous != article.id and not state.locations_by_article[previous]:
        store.delete_article(previous)  # the old text of an updated location, published nowhere else
        state.articles.discard(previous)
        state.duplicates.remove(previous)


def ingest_sources(
    sources: Iterable[str],
    store: ChunkStore,
    settings: IngestSettings,
    *,
    fmt: str = "auto",
    count_word_pieces: Callable[[str], int] | None = None,
    on_source: Callable[[str], None] | None = None,
    on_article: Callable[[], None] | None = None,
) -> IngestReport:
    """Ingest files, folders and URLs into ``store``; failures are reported per source or item, never raised.

    ``on_source`` hears each source as it starts, ``on_article`` each item of it once stored or failed."""
    from ingest.fetch import Fetcher
    from ingest.loaders import expand_sources, load_source

    report = IngestReport()
    store.sweep_orphans()
    state = _RunState(store)
    pending = _PendingWrites()
    fetcher: Fetcher | None = None

    def get_fetcher() -> Fetcher:
        nonlocal fetcher
        fetcher = fetcher or Fetcher.from_settings(settings)
        return fetcher

    try:
        for source in expand_sources(sources, on_skip=report.skipped.append):
            if on_source:
                on_source(source)
            try:
                for loaded in load_source(source, fmt, get_fetcher):
                    if isinstance(loaded, ArticleParseError):
                        report.failed.append(IngestFailure(source=loaded.source, error=loaded.reason))
                        continue
                    try:
                        _store_article(loaded, state, store, settings, report, count_word_pieces, pending)
                    except Exception as error:  # one item's failure, whatever it is; the next item still goes in
                        report.failed.append(_unexpected(loaded.source_path, error))
                    if on_article:
                        on_article()
            except ArticleParseError as error:
                report.failed.append(IngestFailure(source=error.source, error=error.reason))
            except OSError as error:
                report.failed.append(IngestFailure(source=source, error=error.strerror or str(error)))
            except Exception as error:  # a loader bug: this source fails, the sources after it are still read
                report.failed.append(_unexpected(source, error))
        pending.write(store, state, report)
    except KeyboardInterrupt:
        # Ctrl-C keeps what is already embedded: those articles are complete. (A kill writes nothing of them, and
        # so leaves them wholly absent.)
        pending.write(store, state, report)
        raise
    finally:
        if fetcher is not None:
            fetcher.close()
    return report


class WriterBusy(RuntimeError):
    """Another process holds the data directory's writer lock (``pid`` as it wrote it; may be empty)."""

    def __init__(self, pid: str) -> None:
        super().__init__(f"another ingest is running (pid {pid or 'unknown'})")
        self.pid = pid


@contextmanager
def writer_lock(data_dir: Path, *, wait: bool = True,
                on_wait: Callable[[WriterBusy], None] | None = None) -> Iterator[None]:
    """Hold the data directory's writer lock: one ingest or remove at a time writes the collection.

    Two runs writing at once made Chroma fail with ``InternalError``, and a run's orphan sweep would delete the
    chunks of an article the other run had not yet recorded. ``fcntl.flock`` is released by the kernel when
    the holder dies, even by SIGKILL, so a killed run never leaves the lock behind. With ``wait`` a second run
    waits (``on_wait`` hears why first); without, it raises ``WriterBusy``.
    SEE: https://man7.org/linux/man-pages/man2/flock.2.html
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_FILE, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            busy = WriterBusy(handle.read(20).strip())
            if not wait:
                raise busy from None
            if on_wait:
                on_wait(busy)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unexpected(source: str, error: Exception) -> IngestFailure:
    logger.debug("unexpected error while ingesting %s", source, exc_info=error)
    return IngestFailure(source=source, error=f"unexpected {type(error).__name__}: {str(error)[:200]}")


def remove_articles(ids_or_locations: Iterable[str], store: ChunkStore) -> tuple[list[str], list[str]]:
    """Remove articles by id (with every publication), or one publication by URL or file path: the article
    itself goes only when no other location still publishes it. Returns (what was removed: article ids, or
    the location when only a publication went; keys that matched nothing)."""
    publications = store.publications()
    by_location = {p.location: p.article_id for p in publications}
    # A file that names its URL (front matter, canonical link) is published at that URL: its path finds it too.
    location_of_file = {_same_file(p.source_path): p.location for p in publications if p.source_path}
    removed, missing = [], []
    for key in ids_or_locations:
        if key not in by_location and (location := location_of_file.get(_same_file(key))):
            key = location
        if store.has_article(key) and store.delete_article(key):
            removed.append(key)
        elif key in by_location:
            article_id = by_location.pop(key)
            if any(held == article_id for held in by_location.values()):
                store.delete_publication(key)
                removed.append(key)
            else:
                store.delete_article(article_id)
                removed.append(article_id)
        else:
            missing.append(key)
    return removed, missing



def _same_file(path: str) -> str:
    """One spelling of a file path (``./a.txt``, ``a.txt`` and ``/abs/a.txt`` are the same file)."""
    from ingest.loaders import is_url

    if is_url(path):
        return path
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError, ValueError):
        return path
