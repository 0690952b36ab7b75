"""How long an extractive `ask` takes in a warm process, over a collection enlarged by copies: shared by
`make bench-ask` and `make bench-growth`."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.answering.extractive import answer
from bot.retrieval.retriever import HybridRetriever
from bot.settings import BotSettings
from ingest.outlets import OutletRegistry
from ingest.types import Passage


def copy_blocks(size: int, total: int) -> list[tuple[int, int]]:
    """``(offset, count)`` of each block of a collection of ``total`` chunks made of the first ``size`` chunks
    and copies of them: block 0 the originals, block n their n-th copy."""
    return [(offset, min(size, total - offset)) for offset in range(0, total, size)]


def with_copies(passages: Sequence[Passage], total: int) -> list[Passage]:
    """The first ``total`` of ``passages``, then copies of them as other articles (ids suffixed ``-n``) up to
    ``total`` chunks; rows of the chunks' vectors follow the same ``copy_blocks``."""
    return [p if offset == 0 else replace(p, chunk_id=f"{p.chunk_id}-{offset // len(passages)}",
                                          article_id=f"{p.article_id}-{offset // len(passages)}")
            for offset, count in copy_blocks(len(passages), total) for p in passages[:count]]


def extractive_ask(retriever: HybridRetriever, registry: OutletRegistry,
                   settings: BotSettings) -> Callable[[str], None]:
    """Retrieval and the quoting answer for one question, as `Newsdesk.ask` runs them without a model."""

    def ask(question: str) -> None:
        found = retriever.retrieve(question, settings.top_k)
        answer(question, found.passages, registry, min_relevance=settings.min_relevance,
               max_quotes=settings.max_quotes, missing_outlets=found.missing_outlets,
               unknown_names=found.unknown_names)

    return ask


@dataclass(frozen=True)
class Latency:
    """Milliseconds per question over ``count`` questions."""

    p50: float
    p95: float
    max: float
    count: int


def latency_ms(ask: Callable[[str], None], questions: list[str], *, warm_up: int) -> Latency:
    """How long ``ask`` takes over ``questions``, after ``warm_up`` untimed calls (first calls touch cold caches)."""
    for question in questions[:warm_up]:
        ask(question)
    timings = []
    for question in questions:
        started = time.perf_counter()
        ask(question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return Latency(statistics.median(timings), timings[int(0.95 * (len(timings) - 1))], timings[-1], len(timings))
