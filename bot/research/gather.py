"""Gathering for a research brief: the retrieved passages grouped by story, and the stories by outlet.

A story is one original article with every copy of it: a syndicated page ("originally published by RT") and a
near copy found at ingest (``duplicate_of``) are folded under the article they copy, so an outlet that only
republished a story is listed as its republisher and never counted as a second source. Pure: the article records
and bodies are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.answering.labels import outlet_label, republisher
from bot.types import OutletLabel, SiteRef
from ingest.outlets import OutletRegistry
from ingest.types import ArticleRecord, Passage

#: How far ``duplicate_of`` links are followed to find a story's original (a copy of a copy); a cycle stops here.
MAX_COPY_DEPTH = 8


@dataclass(frozen=True, slots=True)
class Story:
    """One original article, the passages of it (and of its copies) that were retrieved, and who republished it."""

    article_id: str
    title: str
    url: str | None
    published_at: str | None
    outlet: OutletLabel
    owner: str | None
    republished_by: tuple[SiteRef, ...]
    passages: tuple[Passage, ...]
    #: The full text of the original article (quotes are ``body[start:end]``); None when the store lost it.
    body: str | None
    #: Ids of the stored copies folded under this story.
    copies: tuple[str, ...] = ()

    @property
    def day(self) -> date | None:
        """The publication day; None when undated or not an ISO date."""
        try:
            return date.fromisoformat(self.published_at[:10]) if self.published_at else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Gathered:
    """The stories behind a question, best first, and the outlets that produced them."""

    stories: tuple[Story, ...]
    #: Original outlet name → its stories' article ids, in the order the outlets first appear.
    by_outlet: Mapping[str, tuple[str, ...]]

    @property
    def passages(self) -> tuple[Passage, ...]:
        return tuple(p for story in self.stories for p in story.passages)


def original_of(article_id: str, records: Mapping[str, ArticleRecord]) -> str:
    """The article ``article_id`` copies, followed through copies of copies; itself when it copies nothing stored."""
    current, seen = article_id, {article_id}
    for _ in range(MAX_COPY_DEPTH):
        record = records.get(current)
        if record is None or record.duplicate_of is None or record.duplicate_of not in records:
            break
        if record.duplicate_of in seen:
            break
        current = record.duplicate_of
        seen.add(current)
    return current


def _as_passage(record: ArticleRecord) -> Passage:
    # ``republisher`` reads a passage's provenance; an article record carries the same two references.
    return Passage(chunk_id="", article_id=record.id, text="", start=0, end=0, title=record.title, url=record.url,
                   published_at=record.published_at, publisher=record.publisher, original=record.original)


def _host_of(passage: Passage, original: OutletLabel, registry: OutletRegistry) -> SiteRef | None:
    """The site a copy lives on when it is not ``original``: its publisher, or, for a near copy that names no
    syndication, the outlet it calls its own."""
    site = republisher(passage, original, registry)
    if site is not None or passage.original is None:
        return site
    own = outlet_label(passage.original, registry)
    if own.name.casefold() == original.name.casefold():
        return None
    return SiteRef(name=own.name, domain=own.domain)


def gather(
    passages: Iterable[Passage],
    registry: OutletRegistry,
    records: Iterable[ArticleRecord],
    body_of: Callable[[str], str | None],
) -> Gathered:
    """Group ``passages`` (best first) into stories under their original article, and the stories by outlet."""
    by_id = {record.id: record for record in records}
    copies_of: dict[str, list[str]] = {}
    for record in by_id.values():
        if record.duplicate_of is not None:
            copies_of.setdefault(original_of(record.id, by_id), []).append(record.id)
    grouped: dict[str, list[Passage]] = {}
    for passage in passages:
        grouped.setdefault(original_of(passage.article_id, by_id), []).append(passage)
    stories = []
    for root, members in grouped.items():
        record = by_id.get(root)
        head = _as_passage(record) if record else members[0]
        outlet = outlet_label(head.original, registry)
        resolved = registry.resolve(head.original) if head.original else None
        sites: list[SiteRef] = []
        hosts = [head, *(_as_passage(by_id[c]) for c in copies_of.get(root, ()) if c != root),
                 *(p for p in members if p.article_id != root)]
        for host in hosts:
            site = _host_of(host, outlet, registry)
            if site is not None and all(s.name.casefold() != site.name.casefold() for s in sites):
                sites.append(site)
        stories.append(Story(
            article_id=root, title=head.title, url=head.url, published_at=head.published_at, outlet=outlet,
            owner=resolved.owner if resolved else None, republished_by=tuple(sites), passages=tuple(members),
            body=body_of(root), copies=tuple(c for c in copies_of.get(root, ()) if c != root),
        ))
    by_outlet: dict[str, list[str]] = {}
    for story in stories:
        by_outlet.setdefault(story.outlet.name, []).append(story.article_id)
    return Gathered(tuple(stories), {name: tuple(ids) for name, ids in by_outlet.items()})

