"""Ingest runs: expand paths, parse each article, chunk it and store it; one bad file never stops the rest."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ingest.articles import TEXT_SUFFIXES, ArticleParseError, read_article_file
from ingest.chunking import chunk_article
from ingest.settings import IngestSettings
from ingest.store import ChunkStore
from ingest.types import IngestFailure, IngestReport


def expand_paths(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and the article files inside folders (recursively, sorted, hidden ones skipped)."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
                if found.is_file() and not hidden and found.suffix.lower() in TEXT_SUFFIXES:
                    yield found
        else:
            yield path


def ingest_paths(
    paths: Iterable[Path],
    store: ChunkStore,
    settings: IngestSettings,
    *,
    count_word_pieces: Callable[[str], int] | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Ingest files and folders into ``store``; failures are reported per source, never raised."""
    report = IngestReport()
    for path in expand_paths(paths):
        if on_file:
            on_file(path)
        try:
            if not path.exists():
                raise ArticleParseError(f"{path}: no such file or folder")
            article = read_article_file(path)
            chunks = chunk_article(
                article.id, article.body, max_tokens=settings.chunk_tokens, overlap=settings.chunk_overlap,
                count_word_pieces=count_word_pieces,
            )
            if store.add_article(article, chunks):
                report.added.append(article.id)
                report.chunks += len(chunks)
            else:
                report.unchanged.append(article.id)
        except ArticleParseError as error:
            report.failed.append(IngestFailure(source=str(path), error=str(error).removeprefix(f"{path}: ")))
        except OSError as error:
            report.failed.append(IngestFailure(source=str(path), error=error.strerror or str(error)))
    return report
