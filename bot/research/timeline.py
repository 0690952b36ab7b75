"""The timeline of a research brief: when each story was published, and the event dates its text gives.

An event date the text states outright ("on 5 October 2023") is read as it is; one relative to the article
("on Tuesday", "last week") is resolved against the article's publication date and marked as resolved, so the
reader knows it is our reading. Dates come from ``bot.retrieval.query.find_dates`` (dateparser, English, no
network), the parser questions use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bot.answering.text import content_terms, sentence_spans
from bot.research.gather import Gathered, Story
from bot.retrieval.query import DateSpec, find_dates

EntryKind = Literal["published", "event"]
#: Most event entries one story adds: a long article full of dates must not bury the rest.
MAX_EVENTS_PER_STORY = 6
#: A span longer than this ("five years ago", "this year") is too vague to place on a timeline.
MAX_SPAN_DAYS = 31
#: Sentences longer than this are not read for dates (they are rare, and the parser is the slow part).
MAX_SENTENCE_CHARS = 600
# The words of a date expression shown to the reader ("On Tuesday", "last week", "5 October 2023"): up to the
# first punctuation, at most four words.
_PHRASE = re.compile(r"[^\s,.;:!?()\"“”]+(?:[ \t]+[^\s,.;:!?()\"“”]+){0,3}")
_PHRASE_STOP = re.compile(r"\s+(?:and|but|when|after|before|that|the|a|an|he|she|they|it|we|i)\b.*$", re.I)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One dated line: a story's publication, or an event its text dates."""

    date: str
    kind: EntryKind
    text: str
    article_id: str
    title: str
    url: str | None
    outlet: str
    #: For an event date resolved from a relative expression: the expression and the day it was read against.
    resolved_from: str | None = None
    #: The last day, when the text names a span ("last week").
    until: str | None = None


def _phrase(sentence: str, at: int) -> str:
    match = _PHRASE.match(sentence, at)
    words = match.group(0) if match else sentence[at:at + 20]
    return _PHRASE_STOP.sub("", words).strip()


def _days(spec: DateSpec) -> tuple[date, date] | None:
    if spec.first is not None and spec.last is not None:
        return spec.first, spec.last
    if spec.year is None or spec.day is None:
        return None  # a month alone ("in March") is too vague for a timeline line
    day = date(spec.year, spec.month, spec.day)
    return day, day


def story_events(story: Story, terms: frozenset[str] = frozenset()) -> list[TimelineEntry]:
    """The dated events in the retrieved passages of ``story``, relative dates resolved against its date; with
    ``terms`` (the question's content terms), only sentences that share one."""
    published = story.day
    entries: list[TimelineEntry] = []
    seen: set[tuple[int, int]] = set()
    for passage in story.passages:
        for start, end in sentence_spans(passage.text):
            key = (passage.start + start, passage.start + end)
            if key in seen or end - start > MAX_SENTENCE_CHARS or len(entries) >= MAX_EVENTS_PER_STORY:
                continue
            seen.add(key)
            sentence = passage.text[start:end]
            if terms and not terms.intersection(content_terms(sentence)):
                continue
            stated = {spec.start for spec in find_dates(sentence)}
            for spec in find_dates(sentence, today=published) if published else find_dates(sentence):
                days = _days(spec)
                if days is None or (days[1] - days[0]).days > MAX_SPAN_DAYS:
                    continue
                relative = spec.start not in stated
                entries.append(TimelineEntry(
                    date=days[0].isoformat(), kind="event", text=sentence.strip(), article_id=story.article_id,
                    title=story.title, url=passage.url or story.url, outlet=story.outlet.name,
                    resolved_from=(f"“{_phrase(sentence, spec.start)}” in an article of {published.isoformat()}"
                                   if relative and published else None),
                    until=days[1].isoformat() if days[1] != days[0] else None,
                ))
                break  # one entry per sentence: its first date
    return entries[:MAX_EVENTS_PER_STORY]


def timeline(gathered: Gathered, terms: frozenset[str] = frozenset()) -> tuple[TimelineEntry, ...]:
    """Publication dates of every story and the event dates of its sentences on the question (``terms``), oldest
    first; undated stories are left out."""
    entries: list[TimelineEntry] = []
    for story in gathered.stories:
        day = story.day
        if day is not None:
            entries.append(TimelineEntry(date=day.isoformat(), kind="published", text=story.title,
                                         article_id=story.article_id, title=story.title, url=story.url,
                                         outlet=story.outlet.name))
        entries.extend(story_events(story, terms))
    # Stable: on one day, a publication comes before the events its article reports.
    return tuple(sorted(entries, key=lambda e: (e.date, e.kind != "published")))
