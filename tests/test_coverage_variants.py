"""The coverage checks tried beyond the shipped rule (issue #15; off by default, measured in
docs/calibration-variants.md): word-piece paraphrases, the focus term, one article, one quote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.answering.coverage import key_content
from bot.answering.extractive import CoverageRule, assess
from ingest.types import OutletRef, Passage
from ingest.word_vectors import WordVectors, load_word_vectors

GAZETTE = OutletRef("harbourgazette.example", "harbourgazette.example")
#: The shipped rule with its short-question checks; each test switches one variant on.
SHIPPED = CoverageRule()


def _article(body: str, *, article_id: str = "a-1", title: str = "Report", score: float = 0.6) -> Passage:
    return Passage(
        chunk_id=f"c-{article_id}", article_id=article_id, text=body, start=0, end=len(body), title=title,
        url=f"https://harbourgazette.example/{article_id}", published_at="2026-10-22T09:00:00Z",
        publisher=GAZETTE, original=GAZETTE, score=score,
    )


@pytest.fixture(scope="module")
def vectors(tmp_path_factory: pytest.TempPathFactory) -> WordVectors:
    return load_word_vectors(tmp_path_factory.mktemp("cache"))


class FixedNearness:
    """Our ``Nearness`` with set cosines between pairs of words (0 for any other pair)."""

    def __init__(self, pairs: dict[tuple[str, str], float]) -> None:
        self.pairs = pairs

    def similarities(self, words: list[str], others: list[str]) -> np.ndarray:
        return np.array([[self.pairs.get((w, o), 0.0) for o in others] for w in words], dtype=np.float32)


QUAKE = "A magnitude 7.8 quake struck southern Turkey on Monday, flattening thousands of buildings."


def test_a_near_word_piece_covers_a_paraphrased_topic(vectors: WordVectors) -> None:
    question = "What did the earthquake in Turkey flatten?"
    literal = assess(question, [_article(QUAKE)], min_relevance=0.3)
    assert literal.gap(SHIPPED) == "The articles found mention Turkey, but nothing about an earthquake.", (
        "word for word, 'quake' is not 'earthquake'")
    near = assess(question, [_article(QUAKE)], min_relevance=0.3, nearness=vectors)
    assert near.gap(CoverageRule(paraphrase=0.7)) is None, "quake/earthquake 0.76 ≥ 0.7"
    assert near.gap(CoverageRule(paraphrase=0.8)) is not None, "but not above its cosine"
    assert near.gap(SHIPPED) is not None, "paraphrase 1.0 (the default): only the word or its family"


def test_names_need_their_own_word_however_near() -> None:
    question = "How many people died in the Greece earthquake?"
    text = "At least 40 people died in the earthquake that struck Turkey on Monday."
    nearness = FixedNearness({("greece", "turkey"): 0.9})
    found = assess(question, [_article(text)], min_relevance=0.3, nearness=nearness)
    assert found.gap(CoverageRule(paraphrase=0.5)) == (
        "The articles found mention earthquake, but nothing about Greece."), "a name is not paraphrased"


SWIFT = ("Taylor Swift has revealed when her relationship with Travis Kelce really started.\n"
         "The pair were first seen together in September.")


def test_the_focus_term_must_be_quoted(vectors: WordVectors) -> None:
    found = assess("Where are Taylor Swift and Travis Kelce getting married?", [_article(SWIFT)],
                   min_relevance=0.3, nearness=vectors)
    assert [found.key.terms[found.focus].word] == ["married"], "the one key term that is not a name"
    assert found.gap(SHIPPED) is None, "the shipped rule answers: four of five key terms quoted"
    assert found.gap(CoverageRule(focus=True, paraphrase=0.6)) == (
        "The articles found mention Taylor and Swift and Travis, but nothing about married.")


def test_the_focus_term_is_the_rarest_in_the_retrieved_passages(vectors: WordVectors) -> None:
    passages = [_article("Turkey's economy grew by 5 percent.", article_id="a-1"),
                _article("The economy of Turkey and its earthquake recovery.", article_id="a-2"),
                _article("Turkey's economy is large.", article_id="a-3")]
    found = assess("What did the earthquake do to the economy of Turkey?", passages, min_relevance=0.3,
                   nearness=vectors)
    assert found.key.terms[found.focus].word == "earthquake", "in one passage; 'economy' in three"


def test_terms_in_different_articles_are_not_together(vectors: WordVectors) -> None:
    passages = [_article("Floods in Turkey killed 3 people on Monday.", article_id="a-1", title="Floods"),
                _article("An earthquake struck Chile on Monday.", article_id="a-2", title="Chile")]
    found = assess("How many people died in the Turkey earthquake?", passages, min_relevance=0.3,
                   nearness=vectors)
    assert found.gap(SHIPPED) is None, "every key term is in some passage, each name in one quote's passage"
    assert found.gap(CoverageRule(max_article_missing=0.0)) == (
        "The articles found mention Turkey and an earthquake, but not together.")


def test_the_event_must_be_told_in_the_same_quote(vectors: WordVectors) -> None:
    body = ("Turkey's president visited the flooded region on Monday.\n"
            "Elsewhere, an earthquake struck Japan, and 12 people died.")
    found = assess("How many people died in the Turkey earthquake?", [_article(body, title="Turkey")],
                   min_relevance=0.3, nearness=vectors)
    assert found.gap(SHIPPED) is None, "the article's quotes together hold every key term"
    assert found.gap(CoverageRule(max_window_missing=0.0)) is not None, "no one sentence holds them all"


def test_without_nearness_the_assessment_is_as_before() -> None:
    found = assess("What did the earthquake in Turkey flatten?", [_article(QUAKE)], min_relevance=0.3)
    assert found.present_cover == () and found.focus is None
    assert key_content("What did the earthquake in Turkey flatten?").terms[0].word == "earthquake"


def test_the_cache_folder_is_the_settings_one(tmp_path: Path) -> None:
    from ingest.word_vectors import CACHE_FILE
    load_word_vectors(tmp_path)
    assert (tmp_path / CACHE_FILE).is_file()
