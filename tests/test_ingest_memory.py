"""What keeps an ingest's peak memory down on a large corpus (#14; the numbers are in docs/benchmarks.md)."""

from __future__ import annotations

import inspect

from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.embedder import MiniLMEmbeddings
from ingest.store import ChunkStore
from tests.test_snapshot import FIRST_FIVE, SEAGRASS


def test_an_ingest_frees_the_batch_session_of_its_own_embedder_only(settings: BotSettings,
                                                                    embeddings: MiniLMEmbeddings) -> None:
    # Its working memory and the search index build's added up at the end of a full-corpus ingest.
    long_article = settings.data_dir.parent / "long.txt"  # many chunks: embedded by the batch session
    long_article.write_text("\n\n".join(path.read_text(encoding="utf-8") for path in FIRST_FIVE), encoding="utf-8")
    own = Newsdesk(settings)
    assert not own.ingest([long_article]).failed
    assert "_session" not in own.embeddings.__dict__, "the desk's own embedder dropped its batch session"
    assert len(own.retrieve("ferry strike")) > 0, "and the desk still answers"
    shared = Newsdesk(settings, embeddings=embeddings)
    embeddings.embed(["one", "two", "three"])
    assert not shared.ingest([SEAGRASS]).failed
    assert "_session" in embeddings.__dict__, "a shared embedder (chats, tests) keeps its session"
    assert len(own.embeddings.embed(["one", "two", "three"])) == 3, "a later batch makes the session again"


def test_the_search_index_reads_the_store_in_pages_of_at_most_500_chunks() -> None:
    # Pages of 5,000 took the export of 9,214 chunks 240 MB above where it started, pages of 500 88 MB (#14).
    assert inspect.signature(ChunkStore.export_chunks).parameters["batch"].default <= 500
