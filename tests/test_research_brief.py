"""Research briefs (#13): gathering by story and outlet, the seed's attribution chain, filters, timeline,
corroboration and the JSON schema. The store and the embedder are real; the samples and the seed are ingested
once for the module."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.research.attribution import find_quotes
from bot.research.brief import Brief, build_brief, sources_by_outlet
from bot.research.corroboration import corroboration_table
from bot.research.gather import Gathered, Story, gather
from bot.research.render_html import render_html
from bot.research.render_json import brief_object, render_json
from bot.research.render_markdown import render_markdown
from bot.research.timeline import timeline
from bot.retrieval.retriever import Filters
from bot.service import Newsdesk
from bot.settings import BotSettings
from bot.types import Answer, OutletLabel, SiteRef
from ingest.embedder import MiniLMEmbeddings
from ingest.types import ArticleRecord, OutletRef, Passage
from tests.budget import within
from tests.conftest import ROOT, SAMPLES, SEED

SCHEMA = json.loads((ROOT / "docs" / "schemas" / "research-brief.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
BARRIER = "What did the mayor say about the cost of the flood barrier?"
MOSCOW = "What has Moscow demanded in peace talks?"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory, embeddings: MiniLMEmbeddings) -> Newsdesk:
    root = tmp_path_factory.mktemp("research")
    desk = Newsdesk(BotSettings(_env_file=None, data_dir=root / "data"), embeddings=embeddings)
    report = desk.ingest([SAMPLES, *([SEED] if SEED.is_file() else [])])
    assert not report.failed, report.failed
    return desk


def _valid(brief: Brief) -> dict[str, object]:
    document = json.loads(json.dumps(brief_object(brief)))
    VALIDATOR.validate(document)
    return document


def _verbatim(desk: Newsdesk, brief: Brief) -> None:
    """Every quote, excerpt and citation is its article's text at its offsets."""
    for quote in brief.quotes:
        assert desk.article_body(quote.article_id)[quote.quote.start:quote.quote.end] == quote.quote.text
    for section in brief.sources:
        for excerpt in section.excerpts:
            assert desk.article_body(excerpt.article_id)[excerpt.start:excerpt.end] == excerpt.text, excerpt
    for citation in brief.answer.citations:
        assert desk.article_body(citation.article_id)[citation.start:citation.end] == citation.quote


@pytest.mark.skipif(not SEED.is_file(), reason="the seed article is not in ../shared/seeds/")
def test_the_seed_brief_separates_speaker_reporter_and_republisher(desk: Newsdesk) -> None:
    brief = desk.research(MOSCOW)
    by_text = {q.quote.text: q for q in brief.quotes}
    lavrov = next(q for text, q in by_text.items() if "Russophobic regime" in text)
    assert lavrov.quote.speaker and "Lavrov" in lavrov.quote.speaker, lavrov
    assert lavrov.reported_by == "RT" and lavrov.republished_by == ("USSANews.com",)
    over = next(q for text, q in by_text.items() if text.startswith("He just wants this over"))
    assert over.quote.anonymous and over.quote.speaker and "senior official" in over.quote.speaker, over
    assert over.quote.via == ("The Atlantic",) and over.reported_by == "RT"
    assert over.republished_by == ("USSANews.com",)
    record = over.record()
    assert record["reported_by"] == "RT" and record["via"] == ["The Atlantic"]
    assert record["republished_by"] == ["USSANews.com"]
    [row] = brief.corroboration.rows
    assert (row.outlet, row.kind, row.also_carried_by) == ("RT", "state-controlled", ("USSANews.com",))
    assert row.line == "RT (original) — also carried by USSANews.com"
    warning = brief.corroboration.warning
    assert warning and "RT" in warning and "USSANews.com only republished it" in warning, warning
    text = render_markdown(brief)
    assert "a senior official, unnamed" in text and "quoted by The Atlantic — as retold by RT" in text
    assert "RT (original) — also carried by USSANews.com" in text and "**Warning:**" in text
    _verbatim(desk, brief)
    _valid(brief)


def test_a_brief_gathers_more_than_ask_and_groups_it_by_outlet(desk: Newsdesk) -> None:
    brief = desk.research(BARRIER)
    asked = desk.ask(BARRIER)
    assert brief.answer == asked, "the brief's answer is ask's own, not a second answerer's"
    assert brief.passages > desk.settings.top_k, "research gathers NEWSDESK_RESEARCH_K passages, not top_k"
    outlets = [section.outlet.name for section in brief.sources]
    assert len(outlets) == len(set(outlets)) and "Northwind Public Radio" in outlets
    assert {row.outlet for row in brief.corroboration.rows} == set(outlets)
    wire = next(row for row in brief.corroboration.rows if row.outlet == "Meridian Wire")
    assert wire.also_carried_by == ("Valley Daily Digest",), "the syndicated copy is Meridian Wire's, counted once"
    assert brief.corroboration.warning is None, "three outlets of three kinds"
    assert any("We can pay for this barrier now" in q.quote.text for q in brief.quotes)
    assert all(q.reported_by in outlets for q in brief.quotes)
    published = [e for e in brief.timeline if e.kind == "published"]
    assert [e.date for e in brief.timeline] == sorted(e.date for e in brief.timeline)
    assert len({e.article_id for e in published}) == len(published) >= 3, "one publication line per dated story"
    _verbatim(desk, brief)
    _valid(brief)


def test_k_bounds_the_passages_gathered(desk: Newsdesk) -> None:
    assert desk.research(BARRIER, k=2).passages <= 2
    assert desk.research(BARRIER).passages <= desk.settings.research_k


@pytest.mark.parametrize(("filters", "allowed"), [
    pytest.param(Filters(exclude_kinds=("public broadcaster",)), lambda row: row.kind != "public broadcaster",
                 id="exclude-kind"),
    pytest.param(Filters(kinds=("commercial",)), lambda row: row.kind == "commercial", id="kind"),
    pytest.param(Filters(outlets=("meridianwire.example",)), lambda row: row.outlet == "Meridian Wire", id="outlet"),
])
def test_filters_restrict_every_section(desk: Newsdesk, filters: Filters, allowed: object) -> None:
    unfiltered = desk.research(BARRIER).corroboration.rows
    assert not all(allowed(row) for row in unfiltered), "the filter must have something to remove"  # type: ignore
    brief = desk.research(BARRIER, filters)
    assert brief.corroboration.rows and all(allowed(row) for row in brief.corroboration.rows)  # type: ignore
    names = {row.outlet for row in brief.corroboration.rows}
    assert {s.outlet.name for s in brief.sources} <= names and {q.reported_by for q in brief.quotes} <= names


def test_since_and_until_keep_the_dates_inside(desk: Newsdesk) -> None:
    since = datetime(2026, 11, 1, tzinfo=UTC)
    brief = desk.research(BARRIER, Filters(since=since.timestamp()))
    published = [e.date for e in brief.timeline if e.kind == "published"]
    assert published and all(d >= "2026-11-01" for d in published), published
    early = desk.research(BARRIER, Filters(until=since.timestamp()))
    before = [e.date for e in early.timeline if e.kind == "published"]
    assert before and all(d < "2026-11-01" for d in before), before


# ---- pure parts: stories folded by hand ----

def _label(name: str, kind: str, domain: str | None = None) -> OutletLabel:
    return OutletLabel(name=name, domain=domain, kind=kind, country=None, source="test registry (as of 2026-01)")


def _story(article_id: str, outlet: OutletLabel, *, owner: str | None = None, carried: tuple[str, ...] = (),
           text: str = "Words.", published_at: str | None = "2025-08-27T10:00:00Z") -> Story:
    passage = Passage(chunk_id=f"c-{article_id}", article_id=article_id, text=text, start=0, end=len(text),
                      title=f"Title {article_id}", url=f"https://example.org/{article_id}", published_at=published_at,
                      publisher=None, original=OutletRef(outlet.name, outlet.domain), score=0.9)
    return Story(article_id=article_id, title=passage.title, url=passage.url, published_at=published_at,
                 outlet=outlet, owner=owner, republished_by=tuple(SiteRef(c, None) for c in carried),
                 passages=(passage,), body=text)


def _gathered(*stories: Story) -> Gathered:
    by_outlet: dict[str, list[str]] = {}
    for story in stories:
        by_outlet.setdefault(story.outlet.name, []).append(story.article_id)
    return Gathered(stories, {k: tuple(v) for k, v in by_outlet.items()})


STATE = _label("RT", "state-controlled", "rt.com")


@pytest.mark.parametrize(("stories", "expected"), [
    pytest.param([_story("a", STATE, carried=("USSANews.com",))],
                 "Every source is one state-controlled outlet, RT; USSANews.com only republished it", id="one-state"),
    pytest.param([_story("a", STATE), _story("b", _label("Sputnik", "state-controlled"))],
                 "Every source is a state-controlled outlet (RT, Sputnik)", id="one-kind"),
    pytest.param([_story("a", _label("Daily A", "commercial"), owner="Holding plc"),
                  _story("b", _label("Wire B", "wire service"), owner="Holding plc")],
                 "Every source has one owner, Holding plc", id="one-owner"),
    pytest.param([_story("a", STATE), _story("b", _label("Wire B", "wire service"))], None, id="independent"),
])
def test_the_corroboration_warning(stories: list[Story], expected: str | None) -> None:
    table = corroboration_table(_gathered(*stories))
    if expected is None:
        assert table.warning is None, table.warning
    else:
        assert table.warning and table.warning.startswith(expected), table.warning


def test_copies_and_near_copies_fold_under_their_original(desk: Newsdesk) -> None:
    def record(article_id: str, publisher: OutletRef, original: OutletRef, copy_of: str | None) -> ArticleRecord:
        return ArticleRecord(id=article_id, title=f"Title {article_id}", url=f"https://{publisher.domain}/x",
                             published_at="2025-08-27", publisher=publisher, original=original, chunk_count=1,
                             source_path="", duplicate_of=copy_of)

    rt, mirror = OutletRef("RT", "rt.com"), OutletRef("USSANews.com", "ussanews.com")
    records = [record("orig", rt, rt, None), record("copy", mirror, rt, "orig"),
               record("near", OutletRef("Copycat", "copycat.example"), OutletRef("Copycat", "copycat.example"),
                      "copy")]
    passages = [_story(i, _label("RT", "state-controlled")).passages[0] for i in ("copy", "near")]
    gathered = gather(passages, desk.registry, records, lambda article_id: f"body of {article_id}")
    [story] = gathered.stories
    assert story.article_id == "orig" and story.body == "body of orig"
    assert [s.name for s in story.republished_by] == ["USSANews.com", "Copycat"]
    assert set(story.copies) == {"copy", "near"} and dict(gathered.by_outlet) == {"RT": ("orig",)}


def test_relative_event_dates_are_resolved_against_the_article_and_marked() -> None:
    text = "On Tuesday, Trump threatened to impose sanctions on both sides if peace talks stall."
    story = _story("a", STATE, text=text, published_at="2025-08-27T09:00:00Z")  # a Wednesday
    [event, published] = timeline(_gathered(story), frozenset({"talk"}))
    assert (event.kind, event.date, event.text) == ("event", "2025-08-26", text)
    assert event.resolved_from == "“On Tuesday” in an article of 2025-08-27"
    assert (published.kind, published.date) == ("published", "2025-08-27")
    stated = _story("b", STATE, text="The talks began on 5 August 2025 in Alaska.")
    [event, _] = timeline(_gathered(stated))
    assert event.date == "2025-08-05" and event.resolved_from is None, "a stated date is not 'resolved'"


NEWSY = st.sampled_from(["On Tuesday", "last week", "“We will not,” she said.", "Lavrov said", " 5 August 2025 ",
                         "\"", "”", ".", "\n", "talks", "peace", "a senior official said.", "<b>", "&amp;"])


@pytest.mark.fuzz
@given(st.lists(NEWSY | st.text(max_size=40), max_size=30).map("".join),
       st.sampled_from([None, "2025-08-27T09:00:00Z", "not a date", "2025-02-30"]))
def test_any_article_text_makes_a_brief_that_renders_and_validates(body: str, published_at: str | None) -> None:
    story = replace(_story("a", STATE, text=body, published_at=published_at), body=body)
    answer = Answer(question="What were the peace talks?", answer="", abstained=True, citations=())
    brief = within(3.0, build_brief, "What were the peace talks?", answer, _gathered(story), find_quotes=find_quotes)
    for quote in brief.quotes:
        assert body[quote.quote.start:quote.quote.end] == quote.quote.text
    for section in brief.sources:
        assert all(body[e.start:e.end] == e.text for e in section.excerpts)
    VALIDATOR.validate(json.loads(within(1.0, render_json, brief)))
    within(1.0, render_markdown, brief)
    within(1.0, render_html, brief)


def test_a_sentence_an_outlet_repeats_in_every_story_is_quoted_once() -> None:
    background = "The peace talks began in Alaska."
    stories = [_story(i, STATE, text=f"{background} Story {i} adds that talks resumed.") for i in ("a", "b")]
    [section] = sources_by_outlet(_gathered(*stories), "When did the peace talks begin?")
    texts = [e.text for e in section.excerpts]
    assert texts.count(background) == 1 and len(texts) == 3, texts


def test_who_said_what_leaves_out_quotations_nobody_spoke() -> None:
    text = ('Critics called the peace talks "a theatre of promises with no end in sight" last month. '
            '"The peace talks must continue," Sergey Lavrov said.')
    brief = build_brief("What about the peace talks?", Answer(question="q", answer="", abstained=True, citations=()),
                        _gathered(_story("a", STATE, text=text)), find_quotes=find_quotes)
    assert [q.quote.speaker for q in brief.quotes] == ["Sergey Lavrov"]
    assert any(q.speaker is None for q in find_quotes(text)), "the title-like quotation is found, then left out"
