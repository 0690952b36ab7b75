"""The fast query tokenizer must split, drop stopwords and stem exactly as the indexes were built, or a
question's words would miss the index's terms."""

from __future__ import annotations

import threading

import pytest

from ingest.search_index import query_tokens, tokenize
from tests.conftest import SAMPLES

QUESTIONS = [
    "What did the mayor say about the cost of the flood barrier?",
    "Does the TechCrunch article suggest that Sam Bankman-Fried's use of wealth was primarily for personal gain?",
    "Who won this year's Tour de France, and by how many seconds?",
    "Ünïcödé wörds: São Paulo, Zürich, naïve café — 3.5% of 2023's Q3 revenue ($12.94bn)",
    "I a an of to",  # only stopwords and one-letter words: nothing to search
    "",
]


@pytest.mark.parametrize("text", QUESTIONS)
def test_query_tokens_equal_the_index_tokenizer(text: str) -> None:
    assert list(query_tokens(text)) == tokenize([text])[0]


def test_query_tokens_equal_the_index_tokenizer_on_every_sample_sentence() -> None:
    lines = [line for path in sorted(SAMPLES.iterdir()) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) > 50
    assert [list(query_tokens(line)) for line in lines] == tokenize(lines)


def test_query_tokens_from_many_threads_agree() -> None:
    # The Telegram bot answers from worker threads; each gets its own stemmer.
    words = [f"running quickly through flooded barriers number {n}" for n in range(400)]
    expected = tokenize(words)
    results: dict[int, list[list[str]]] = {}

    def work(n: int) -> None:
        results[n] = [list(query_tokens(w + f" thread{n}")) for w in words]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for n, got in results.items():
        assert [tokens[:-1] for tokens in got] == expected and all(t[-1] == f"thread{n}" for t in got)
