"""The research brief: a cited answer, what the sources say, who said what, a timeline and how independent it is.

``build_brief`` is pure: the answer (from ``Newsdesk.ask``, the one checked answer path) and the gathered
stories are passed in. Everything quoted is verbatim article text with its offsets, so a reader (or a test) can
check every line against the article.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.answering.text import content_terms, sentence_spans
from bot.research.corroboration import CorroborationTable, corroboration_table
from bot.research.gather import Gathered, Story
from bot.research.quote_types import Quote, quote_record
from bot.research.timeline import TimelineEntry, timeline
from bot.types import Answer, OutletLabel, SiteRef
from ingest.types import Passage

#: Excerpts per story under "What the sources say", and the most characters one excerpt may have.
EXCERPTS_PER_STORY = 2
MAX_EXCERPT_CHARS = 700
#: Most quotes under "Who said what", over all stories.
MAX_QUOTES = 40


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A sentence of an article, verbatim: ``body[start:end] == text``."""

    text: str
    article_id: str
    title: str
    url: str | None
    published_at: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class OutletSection:
    """"What the sources say", for one original outlet: its label and its excerpts, best first."""

    outlet: OutletLabel
    republished_by: tuple[SiteRef, ...]
    excerpts: tuple[Excerpt, ...]


@dataclass(frozen=True, slots=True)
class AttributedQuote:
    """Who said it (``quote``), who reported it (the story's outlet) and who only republished it."""

    quote: Quote
    article_id: str
    title: str
    url: str | None
    reported_by: str | None
    republished_by: tuple[str, ...]
    published_at: str | None

    def record(self) -> dict[str, object]:
        """The shared JSON quote object (``quote_types.quote_record``)."""
        return quote_record(self.quote, article_id=self.article_id, reported_by=self.reported_by,
                            republished_by=self.republished_by, published_at=self.published_at)


@dataclass(frozen=True, slots=True)
class Brief:
    question: str
    #: The filters in words ("since 2025-08-01; outlet rt.com"), empty when none.
    filters: str
    answer: Answer
    sources: tuple[OutletSection, ...]
    quotes: tuple[AttributedQuote, ...]
    timeline: tuple[TimelineEntry, ...]
    corroboration: CorroborationTable
    #: Passages gathered and stories they fold into.
    passages: int
    stories: int


def _excerpts(story: Story, terms: set[str]) -> tuple[Excerpt, ...]:
    """The sentences of the story's passages sharing most words with ``terms`` (the first sentence of its best
    passage when none does), in article order."""
    scored: dict[tuple[str, int, int], tuple[int, str, Passage]] = {}
    for rank, passage in enumerate(story.passages):
        for a, b in sentence_spans(passage.text):
            text = passage.text[a:b]
            key = (passage.article_id, passage.start + a, passage.start + b)
            overlap = len(set(content_terms(text)) & terms) if terms else 0
            if key not in scored and b - a <= MAX_EXCERPT_CHARS and (overlap or not scored):
                scored[key] = (overlap * 1000 - rank, text, passage)
    best = sorted(scored.items(), key=lambda item: -item[1][0])[:EXCERPTS_PER_STORY]
    if best and best[0][1][0] > 0:
        best = [item for item in best if item[1][0] > 0]
    # A copy's passage is cut from the copy's body: its offsets are the copy's, and the excerpt links to the copy.
    return tuple(Excerpt(text=text, article_id=passage.article_id, title=passage.title or story.title,
                         url=passage.url or story.url, published_at=passage.published_at or story.published_at,
                         start=start, end=end)
                 for (_, start, end), (_, text, passage) in sorted(best, key=lambda item: item[0]))


def sources_by_outlet(gathered: Gathered, question: str) -> tuple[OutletSection, ...]:
    """"What the sources say": for each original outlet, its best sentences for ``question``."""
    terms = set(content_terms(question))
    sections = []
    for ids in gathered.by_outlet.values():
        stories = [s for s in gathered.stories if s.article_id in ids]
        # A sentence every story of an outlet repeats (a standing background line) is shown once, at its first.
        seen: set[str] = set()
        excerpts: list[Excerpt] = []
        for excerpt in (e for story in stories for e in _excerpts(story, terms)):
            if (key := " ".join(excerpt.text.split()).casefold()) not in seen:
                seen.add(key)
                excerpts.append(excerpt)
        sites = tuple(dict.fromkeys(site for story in stories for site in story.republished_by))
        sections.append(OutletSection(outlet=stories[0].outlet, republished_by=sites, excerpts=tuple(excerpts)))
    return tuple(sections)


def _context(body: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """The sentences the quote ``[start:end]`` touches (it may run across several) and the one before, which
    often names who "he" is or what the words are about."""
    touched = [i for i, (a, b) in enumerate(spans) if a < end and start < b]
    if not touched:
        return body[start:end]
    return body[spans[max(touched[0] - 1, 0)][0]:spans[touched[-1]][1]]


def attributed_quotes(gathered: Gathered, question: str,
                      find_quotes: Callable[[str], tuple[Quote, ...]]) -> tuple[AttributedQuote, ...]:
    """"Who said what": the quotes of the gathered stories that bear on ``question``: their sentence, or the one
    before it, shares a word with the question. Quotations nobody is said to have spoken (a book's title, scare
    quotes) are not speech and stay out."""
    terms = set(content_terms(question))
    found: list[AttributedQuote] = []
    for story in gathered.stories:
        if story.body is None:
            continue
        spans = sentence_spans(story.body)
        for quote in find_quotes(story.body):
            if len(found) >= MAX_QUOTES:
                return tuple(found)
            if quote.speaker is None:
                continue
            if terms & set(content_terms(_context(story.body, spans, quote.start, quote.end))):
                found.append(AttributedQuote(
                    quote=quote, article_id=story.article_id, title=story.title, url=story.url,
                    reported_by=story.outlet.name, republished_by=tuple(s.name for s in story.republished_by),
                    published_at=story.day.isoformat() if story.day else None,
                ))
    return tuple(found)


def build_brief(question: str, answer: Answer, gathered: Gathered, *, filters: str = "",
                find_quotes: Callable[[str], tuple[Quote, ...]]) -> Brief:
    """Assemble the brief for ``question`` from its checked ``answer`` and the ``gathered`` stories."""
    return Brief(
        question=question, filters=filters, answer=answer, sources=sources_by_outlet(gathered, question),
        quotes=attributed_quotes(gathered, question, find_quotes),
        timeline=timeline(gathered, frozenset(content_terms(question))),
        corroboration=corroboration_table(gathered), passages=len(gathered.passages), stories=len(gathered.stories),
    )
