"""Hybrid retrieval on the sample articles (real store, real embedder, real BM25): outlet, date and name
awareness, filters, diversity, syndicated copies, and the index following the collection."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.retrieval.query import DateSpec, OutletMatcher, find_dates, proper_names
from bot.retrieval.ranking import FEATURES, LinearRanker
from bot.retrieval.retriever import MAX_PER_ARTICLE, Filters, HybridRetriever
from bot.service import Newsdesk
from bot.settings import BotSettings
from ingest.articles import read_article_file
from ingest.embedder import MiniLMEmbeddings
from ingest.outlets import OutletRegistry
from ingest.search_index import header, query_tokens
from ingest.types import IngestReport
from tests.conftest import SAMPLES


@pytest.fixture(scope="module")
def sample_desk(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Newsdesk:
    desk = Newsdesk(BotSettings(data_dir=tmp_path_factory.mktemp("retrieve")), embeddings=embeddings)
    desk.ingest([SAMPLES])
    return desk


def _outlets(passages: list) -> set[str]:
    registry = OutletRegistry.bundled()
    return {registry.resolve(p.original).name for p in passages}


def test_named_outlet_restricts_to_its_passages(sample_desk: Newsdesk) -> None:
    found = sample_desk.search("What did the Harbour Gazette report about the flood barrier?", k=5)
    assert found.passages and _outlets(found.passages) == {"The Harbour Gazette"}
    assert found.missing_outlets == ()


def test_two_named_outlets_both_get_slots(sample_desk: Newsdesk) -> None:
    question = "Does Northwind Public Radio's report on the barrier vote agree with The Harbour Gazette's?"
    passages = sample_desk.retrieve(question, k=4)
    assert _outlets(passages) == {"Northwind Public Radio", "The Harbour Gazette"}
    assert _outlets(passages[:2]) == {"Northwind Public Radio", "The Harbour Gazette"}, "one of each in round one"


def test_absent_outlet_is_reported_not_answered(sample_desk: Newsdesk) -> None:
    found = sample_desk.search("According to Bloomberg, how much will the flood barrier cost?")
    assert found.missing_outlets == ("Bloomberg",)
    answer = sample_desk.ask("According to Bloomberg, how much will the flood barrier cost?")
    assert answer.abstained and answer.answer.startswith("No articles from Bloomberg are in the collection")


def test_name_no_article_mentions_is_reported(sample_desk: Newsdesk) -> None:
    answer = sample_desk.ask("What did Oleg Fomenko say about the ferry strike?")
    assert answer.abstained and answer.answer == "The ingested articles do not mention Oleg Fomenko."
    assert not sample_desk.ask("What did Dolores Kettering say about the ferry strike?").abstained


def test_date_in_the_question_favours_that_day(sample_desk: Newsdesk) -> None:
    passages = sample_desk.retrieve("What was reported about the flood barrier on October 23, 2026?", k=3)
    assert passages[0].published_at is not None and passages[0].published_at.startswith("2026-10-23")


def test_explicit_filters(sample_desk: Newsdesk) -> None:
    public = sample_desk.retrieve("flood barrier vote", k=10, filters=Filters(kinds=("public broadcaster",)))
    assert public and _outlets(public) == {"Northwind Public Radio"}
    since = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    recent = sample_desk.retrieve("Port Aldren", k=10, filters=Filters(since=since))
    assert recent and all(p.published_at >= "2026-11-01" for p in recent)
    wire = sample_desk.retrieve("Port Aldren", k=10, filters=Filters(outlets=("meridianwire.example",)))
    assert wire and _outlets(wire) == {"Meridian Wire"}


def test_one_article_cannot_fill_every_slot(sample_desk: Newsdesk) -> None:
    passages = sample_desk.retrieve("Voltaris battery plant jobs water solar", k=10)
    assert max(Counter(p.article_id for p in passages).values()) <= MAX_PER_ARTICLE


def test_index_follows_the_collection(tmp_path: Path, embeddings: MiniLMEmbeddings, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    desk = Newsdesk(BotSettings(data_dir=tmp_path / "d"), embeddings=embeddings)
    desk.ingest([SAMPLES / "01-harbour-ferry-strike.txt"])
    assert "seagrass" not in desk.retrieve("sea-grass meadows", k=1)[0].title.lower()
    seagrass = SAMPLES / "06-seagrass-restoration-study.txt"
    desk.ingest([seagrass])
    assert "sea-grass" in desk.retrieve("sea-grass meadows hectares", k=1)[0].title.lower()
    # Another process (a new Newsdesk on the same folder) sees the same, from the saved index.
    other = Newsdesk(BotSettings(data_dir=tmp_path / "d"), embeddings=embeddings)
    assert "sea-grass" in other.retrieve("sea-grass meadows hectares", k=1)[0].title.lower()
    desk.remove([read_article_file(seagrass).id])
    assert all("sea-grass" not in p.title.lower() for p in desk.retrieve("sea-grass meadows hectares", k=5))


def _original_and_near_copy(tmp_path: Path, embeddings: MiniLMEmbeddings) -> tuple[Newsdesk, IngestReport]:
    """A fresh desk holding a radio story and a digest's near copy of it (one phrase edited, a line added)."""
    desk = Newsdesk(BotSettings(data_dir=tmp_path / "d"), embeddings=embeddings)
    body = read_article_file(SAMPLES / "02-flood-barrier-council-vote.txt").body
    records = [
        {"title": "Barrier approved", "body": body, "url": "https://northwindradio.example/barrier"},
        {"title": "Barrier approved (copy)", "url": "https://valleydigest.example/barrier",
         "body": body.replace("seven votes to six", "a 7-6 vote") + "\n\nShare this story."},
    ]
    corpus = tmp_path / "copies.json"
    corpus.write_text(json.dumps(records))
    return desk, desk.ingest([corpus])


def test_syndicated_copy_is_collapsed_to_the_original(tmp_path: Path, embeddings: MiniLMEmbeddings,
                                                      monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    desk, report = _original_and_near_copy(tmp_path, embeddings)
    assert len(report.syndicated) == 1
    passages = desk.retrieve("How did the council vote on the flood barrier budget?", k=10)
    assert passages and {p.article_id for p in passages} == {report.added[0]}


def test_dates_are_parsed() -> None:
    found = find_dates("published on October 5, 2023, then on 1 November 2023, in December, and 2024-02-29")
    assert [(d.year, d.month, d.day) for d in found] == [(2023, 10, 5), (2023, 11, 1), (None, 12, None),
                                                         (2024, 2, 29)]
    assert DateSpec(2023, 10, 5, 0).bounds() == (1696377600.0, 1696636800.0)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        pytest.param("Considering the analysis from Bloomberg and a report by Reuters, who won?",
                     ["Bloomberg", "Reuters"], id="absent-in-context"),
        pytest.param("Did The Verge report on Google?", ["The Verge"], id="present"),
        pytest.param("At that time fortune favoured the bold, said the coach.", [], id="common-words"),
        pytest.param("What did the Wall Street Journal article say?", ["The Wall Street Journal"], id="without-the"),
    ],
)
def test_outlet_mentions(question: str, named: list[str]) -> None:
    matcher = OutletMatcher({"The Verge": {"the verge"}, "Verge": {"the verge"}},
                            ["Bloomberg", "Reuters", "The Wall Street Journal", "Fortune", "Time"])
    assert [m.name for m in matcher.find(question)] == named


def test_proper_names_skip_question_words_and_outlets() -> None:
    question = "Does The Guardian say that Oleg Fomenko founded Bank Red in Port Aldren?"
    assert proper_names(question, [(5, 17)]) == ["Oleg Fomenko", "Bank Red", "Port Aldren"]


def test_single_unknown_name_is_reported(sample_desk: Newsdesk) -> None:
    answer = sample_desk.ask("How many residents of Grindavik were evacuated?")
    assert answer.abstained and answer.answer == "The ingested articles do not mention Grindavik."


def test_names_are_checked_within_one_sentence(sample_desk: Newsdesk) -> None:
    index = sample_desk.retriever().index
    assert index.sentence_holds_all(["Dolores", "Kettering"])
    assert not index.sentence_holds_all(["Dolores", "Voltaris"]), "both words exist, never in one sentence"


def test_a_question_about_one_article_may_take_every_slot(tmp_path: Path, embeddings: MiniLMEmbeddings,
                                                          monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    desk = Newsdesk(BotSettings(data_dir=tmp_path / "d", chunk_tokens=40, chunk_overlap=0), embeddings=embeddings)
    desk.ingest([SAMPLES])
    passages = desk.retrieve("Dolores Kettering ferry deckhands strike shifts Quayside terminal", k=10)
    counts = Counter(p.article_id for p in passages)
    assert max(counts.values()) > MAX_PER_ARTICLE, counts
    one_outlet = desk.retrieve("In The Harbour Gazette's report, what did Dolores Kettering say about ferry "
                               "deckhands' strike shifts at the Quayside terminal?", k=10)
    assert max(Counter(p.article_id for p in one_outlet).values()) > MAX_PER_ARTICLE, "one outlet, one article"
    named = desk.retrieve("What did The Harbour Gazette say about the ferry strike and the barrier levy?", k=10)
    assert max(Counter(p.article_id for p in named).values()) <= MAX_PER_ARTICLE, "two topics: no take-over"
    two = desk.retrieve("Did The Harbour Gazette and Northwind Public Radio report the ferry strike shifts the "
                        "same way?", k=10)
    assert max(Counter(p.article_id for p in two).values()) <= MAX_PER_ARTICLE, "two outlets: no take-over"


@pytest.mark.parametrize("question", ["What happened on February 30, 2024?", "Any news from 2023-02-29?",
                                      "What was reported on June 31, 2026?"])
def test_impossible_dates_are_ignored(sample_desk: Newsdesk, question: str) -> None:
    assert find_dates(question) == []
    sample_desk.ask(question)  # must not raise


def test_named_copying_outlet_still_finds_its_copies(tmp_path: Path, embeddings: MiniLMEmbeddings,
                                                     monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    desk, report = _original_and_near_copy(tmp_path, embeddings)
    copy_id = report.added[1]
    asked = desk.retrieve("How did the council vote on the barrier?", k=5,
                          filters=Filters(outlets=("valleydigest.example",)))
    assert asked and {p.article_id for p in asked} == {copy_id}


@pytest.mark.parametrize("question", [
    pytest.param("How did the council vote on the flood barrier, and who will pay for the flood barrier?",
                 id="two clauses, one best passage"),
    pytest.param("Did the Harbour Gazette report the barrier vote, and did The Harbour Gazette report its cost?",
                 id="one outlet named twice"),
])
def test_a_passage_is_returned_at_most_once(sample_desk: Newsdesk, question: str) -> None:
    # Parts of a question that rank the same passage first used to give it two places in the same round.
    passages = sample_desk.retrieve(question, k=10)
    ids = [p.chunk_id for p in passages]
    assert len(ids) == len(set(ids)), Counter(ids).most_common(2)


def test_the_ranker_weights_decide_the_order(sample_desk: Newsdesk) -> None:
    index = sample_desk.retriever().index
    only_lead = np.array([1.0 if name == "lead" else 0.0 for name in FEATURES])
    leads_first = HybridRetriever(index, sample_desk.registry, sample_desk.embeddings.embed,
                                  ranker=LinearRanker(only_lead, 0.01))
    passages = leads_first.retrieve("flood barrier", k=3).passages
    assert [p.start for p in passages] == [0, 0, 0], "a model that only values the lead returns article openings"
    shipped = sample_desk.retrieve("flood barrier", k=3)
    assert any(p.start > 0 for p in shipped), "the fitted weights do not rank by position alone"


def test_questions_naming_no_outlet_are_ranked_by_their_own_weights(sample_desk: Newsdesk) -> None:
    # Weights that favour article openings only for questions naming no outlet, and disfavour them otherwise:
    # whether the question names an outlet must reach every part of the score (#15).
    index = sample_desk.retriever().index
    weights = np.array([{"lead": -1.0, "lead_unnamed": 2.0}.get(name, 0.0) for name in FEATURES])
    split = HybridRetriever(index, sample_desk.registry, sample_desk.embeddings.embed,
                            ranker=LinearRanker(weights, 0.01))
    plain = split.retrieve("flood barrier", k=3).passages
    assert [p.start for p in plain] == [0, 0, 0], "no outlet named: the openings lead"
    named = split.retrieve("What did The Harbour Gazette report?", k=2).passages
    assert named and all(p.start > 0 for p in named), [p.start for p in named]


def test_a_desk_can_rank_with_other_weights(sample_desk: Newsdesk) -> None:
    # Cross-validation (bench/crossval_ranker.py) scores each fold through Newsdesk with that fold's weights.
    only_lead = LinearRanker(np.array([1.0 if name in ("lead", "lead_unnamed") else 0.0 for name in FEATURES]), 0.01)
    desk = Newsdesk(sample_desk.settings, registry=sample_desk.registry, embeddings=sample_desk.embeddings,
                    ranker=only_lead)
    assert desk.retriever().ranker is only_lead
    assert [p.start for p in desk.retrieve("flood barrier", k=3)] == [0, 0, 0]


def test_each_round_of_slots_is_ordered_by_how_well_each_passage_serves_its_part() -> None:
    from bot.retrieval.retriever import _slots

    part_a = (np.array([0, 1]), np.array([0.1, 0.9, 0.5]))  # ranks passage 0, then 1
    part_b = (np.array([2, 1]), np.array([0.0, 0.2, 0.7]))  # ranks passage 2, then 1
    # Round 1: passage 2 (0.7 for part b) before passage 0 (0.1 for part a). Round 2: both parts offer passage 1;
    # it takes one place. The limit cuts the order short.
    assert _slots([part_a, part_b], limit=10) == [2, 0, 1]
    assert _slots([part_a, part_b], limit=2) == [2, 0]


def _only(weights: dict[str, float]) -> LinearRanker:
    return LinearRanker(np.array([weights.get(name, 0.0) for name in FEATURES]), 0.01)


def test_term_coverage_counts_each_question_word_once_weighted_by_rarity(sample_desk: Newsdesk) -> None:
    # A reader's paraphrase is answered by the chunk holding most of its words, not the one repeating one (#15).
    retriever = sample_desk.retriever()
    column = retriever.features("flood barrier council vote")[0][:, FEATURES.index("term_coverage")]
    # The words as BM25 indexes them: stemmed, over the chunk's title, outlet and date header and its text.
    indexed = [set(query_tokens(f"{header(p)}\n{p.text}")) for p in retriever.index.passages]
    holds_all = np.array([set(query_tokens("flood barrier council vote")) <= words for words in indexed])
    assert holds_all.any() and not holds_all.all()
    assert column[holds_all].tolist() == pytest.approx([1.0] * int(holds_all.sum()))
    assert (column[~holds_all] < 1.0).all() and (column >= 0.0).all()
    unknown = retriever.features("zyzzyvas quokkas")[0][:, FEATURES.index("term_coverage")]
    assert unknown.tolist() == [0.0] * len(indexed), "words no chunk holds cover nothing"


def _article(folder: Path, name: str, title: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.txt").write_text(f"---\ntitle: {title}\nurl: https://example.org/{name}\n"
                                        f"published_at: 2026-10-14T08:30:00Z\n---\n{body}\n", encoding="utf-8")


def test_a_question_asking_how_many_favours_chunks_with_a_figure(tmp_path: Path, embeddings: MiniLMEmbeddings,
                                                                 monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _article(tmp_path / "news", "figure", "Plant hiring", "The battery plant will hire 420 workers next spring.")
    _article(tmp_path / "news", "words", "Plant hiring", "The battery plant will hire local workers next spring.")
    desk = Newsdesk(BotSettings(data_dir=tmp_path / "d"), embeddings=embeddings)
    desk.ingest([tmp_path / "news"])
    index = desk.retriever().index

    def first(weight: float, question: str) -> str:
        ranker = _only({"quantity_figure": weight, "quantity_figure_unnamed": weight})
        retriever = HybridRetriever(index, desk.registry, desk.embeddings.embed, ranker=ranker)
        return retriever.retrieve(question, k=1).passages[0].text

    assert "420" in first(1.0, "How many workers will the battery plant hire?")
    assert "420" not in first(-1.0, "How many workers will the battery plant hire?")
    assert first(1.0, "Which workers will the battery plant hire?") == first(
        -1.0, "Which workers will the battery plant hire?"), "no quantity asked: the figure weighs nothing"


@pytest.mark.parametrize("question", [pytest.param("How many jobs will the battery plant bring?", id="quantity"),
                                      pytest.param("why did the ferry workers strike", id="why")])
def test_retrieve_scores_what_the_fitter_sees(sample_desk: Newsdesk, question: str) -> None:
    # bench/fit_ranker.py fits on ``features``; ``retrieve`` scores the same features group by group. A signal
    # left out of one of them (the coverage, the figure) would change the first passage.
    index = sample_desk.retriever().index
    rng = np.random.default_rng(5)
    for _ in range(5):
        ranker = LinearRanker(rng.normal(size=len(FEATURES)), 0.01)
        retriever = HybridRetriever(index, sample_desk.registry, sample_desk.embeddings.embed, ranker=ranker)
        features, _ = retriever.features(question)
        allowed = np.flatnonzero(retriever.candidates(question))
        best = allowed[np.argmax(ranker.score(features)[allowed])]
        assert retriever.retrieve(question, k=1).passages[0].chunk_id == index.passages[best].chunk_id


@pytest.mark.parametrize("question", [
    "How did the council vote on the flood barrier, and who will pay for the flood barrier?",
    "Why did the ferry workers strike, and what did the harbour authority offer them?",
    "How much will the flood barrier cost, and when will work on the barrier start?",
])
def test_a_question_naming_no_outlet_is_ranked_as_one(sample_desk: Newsdesk, question: str) -> None:
    # A reader's "X, and Y?" asks two things of one story: a slot per clause put the other clause's best chunk
    # above the chunk the whole question ranks first (#15). Without an outlet named, the order is the score's.
    retriever = sample_desk.retriever()
    features, _ = retriever.features(question)
    scores = retriever.ranker.score(features)
    allowed = np.flatnonzero(retriever.candidates(question))
    expected = allowed[np.argsort(-scores[allowed], kind="stable")[:4]]
    passages = retriever.retrieve(question, k=4).passages
    assert [p.chunk_id for p in passages] == [retriever.index.passages[i].chunk_id for i in expected]
