import os
from pathlib import Path

import pytest
import tiktoken

from ingest.articles import read_article_file
from ingest.chunking import chunk_article
from ingest.embedder import MAX_WORD_PIECES, MiniLMEmbeddings
from ingest.settings import use_bundled_tiktoken
from tests.conftest import SAMPLES

ADVERSARIAL = {
    "numbers": " ".join(f"{i * 7919 % 100000:,}.{i % 97:02d}%" for i in range(900)),
    "non_latin": "Правительство объявило новые меры. 政府宣布了新的措施。 " * 120,
    "one_long_word": "x" * 6000,
    "special_token": "The string <|endoftext|> appears in this article. " * 60,
    "urls": " ".join(f"https://example.org/path/{i}?q={i * 31}&r=xyz" for i in range(300)),
}


def test_bundled_bpe_file_is_used() -> None:
    use_bundled_tiktoken()
    assert Path(os.environ["TIKTOKEN_CACHE_DIR"]).is_relative_to(Path(__file__).parent.parent / "ingest")
    assert tiktoken.get_encoding("cl100k_base").encode("hello world") == [15339, 1917]


@pytest.mark.parametrize("name", sorted(ADVERSARIAL), ids=sorted(ADVERSARIAL))
def test_no_chunk_is_truncated_by_the_embedder(name: str, embeddings: MiniLMEmbeddings) -> None:
    body = ADVERSARIAL[name]
    chunks = chunk_article("a-x", body, max_tokens=200, overlap=30, count_word_pieces=embeddings.count_word_pieces)
    assert chunks, "a long body must give chunks"
    for chunk in chunks:
        assert embeddings.count_word_pieces(chunk.text) <= MAX_WORD_PIECES, (name, chunk.index)
        assert body[chunk.start : chunk.end] == chunk.text


def test_sample_chunks_are_verbatim_and_cover_the_body(embeddings: MiniLMEmbeddings) -> None:
    for path in sorted(SAMPLES.glob("*.txt")):
        article = read_article_file(path)
        chunks = chunk_article(article.id, article.body, max_tokens=60, overlap=10,
                               count_word_pieces=embeddings.count_word_pieces)
        assert len(chunks) > 1, path
        covered = set()
        for chunk in chunks:
            assert article.body[chunk.start : chunk.end] == chunk.text
            covered.update(range(chunk.start, chunk.end))
        gaps = [i for i in range(len(article.body)) if i not in covered and not article.body[i].isspace()]
        assert not gaps, f"{path.name}: text outside every chunk at {gaps[:5]}"


def test_chunk_ids_are_stable() -> None:
    body = "First paragraph about the harbour.\n\nSecond paragraph about the council. " * 30
    first = chunk_article("a-1", body, max_tokens=50, overlap=10)
    again = chunk_article("a-1", body, max_tokens=50, overlap=10)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)
