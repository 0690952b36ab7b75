"""The values that cross module boundaries: articles, chunks, outlets and retrieved passages.

They are frozen dataclasses so that no layer can change what another layer saw, and so that the
store and the answerer never hand LangChain or Chroma objects to the rest of the code.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class OutletRef:
    """A site named by evidence (a footer, a URL), before or after a registry lookup."""

    name: str
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why we believe something about an article's provenance: the rule and the text it matched."""

    rule: str
    text: str


@dataclass(frozen=True, slots=True)
class OutletFact:
    """One claim about an outlet, with who makes it and as of when.

    ``field`` is one of: kind, country, owner, typology, rating, reliability, sanction.
    """

    field: str
    value: str
    source: str
    as_of: str


@dataclass(frozen=True, slots=True)
class Outlet:
    """What the registry knows about one outlet; ``source`` and ``as_of`` back the ``kind``.

    ``facts`` holds every sourced claim, the bundled ones and those imported from public datasets; where
    sources disagree both claims are kept, and ``kind``/``country`` are the curated (bundled) ones.
    """

    name: str
    domains: tuple[str, ...]
    kind: str
    country: str | None
    source: str
    as_of: str
    owner: str | None = None
    facts: tuple[OutletFact, ...] = ()

    @property
    def domain(self) -> str | None:
        return self.domains[0] if self.domains else None


@dataclass(frozen=True, slots=True)
class Article:
    """One article as ingested. ``body`` is the indexed text: the syndication footer is kept apart."""

    id: str
    title: str
    body: str
    source_path: str
    url: str | None = None
    published_at: str | None = None
    author: str | None = None
    publisher: OutletRef | None = None
    original: OutletRef | None = None
    footer: str | None = None
    evidence: tuple[Evidence, ...] = ()
    canonical_url: str | None = None
    site_name: str | None = None
    #: Set when the body is a near-copy of an article already stored (a syndicated copy).
    duplicate_of: str | None = None

    @property
    def location(self) -> str:
        """Where this publication lives: the same location with new text is an update, not a new article."""
        return self.canonical_url or self.url or self.source_path


@dataclass(frozen=True, slots=True)
class Chunk:
    """A verbatim slice of an article body: ``article.body[start:end] == text``."""

    id: str
    article_id: str
    index: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Passage:
    """A chunk as retrieved, with the article facts needed to cite it and its similarity score."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    title: str
    url: str | None
    published_at: str | None
    publisher: OutletRef | None
    original: OutletRef | None
    score: float = 0.0
    #: The article this passage's article is a near copy of (a syndicated copy), if any.
    duplicate_of: str | None = None


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An ingested article as listed by the store (no body)."""

    id: str
    title: str
    url: str | None
    published_at: str | None
    publisher: OutletRef | None
    original: OutletRef | None
    chunk_count: int
    source_path: str
    duplicate_of: str | None = None
    #: Where it was first found (canonical URL, URL or file path), as ``Article.location``.
    location: str = ""


@dataclass(frozen=True, slots=True)
class Publication:
    """A location (URL or file) and the article whose text was found there."""

    location: str
    article_id: str
    url: str | None
    publisher: OutletRef | None
    #: The file or URL it was read from (a file's location is its URL when it names one).
    source_path: str = ""


@dataclass(frozen=True, slots=True)
class IngestFailure:
    source: str
    error: str


@dataclass(frozen=True, slots=True)
class SyndicationLink:
    """A publication whose text is an exact or near copy of a stored article."""

    source: str
    article_id: str
    copy_of: str
    similarity: float


@dataclass(slots=True)
class IngestReport:
    """What one ingest run did, by article id; the CLI prints it and ``--json`` serialises it.

    ``added``: new articles (embedded); ``updated``: a location whose text changed (old chunks replaced);
    ``unchanged``: already stored as they are; ``linked``: copies of a stored article's text at another
    location (recorded as a publication, not embedded again); ``syndicated``: every exact or near copy found.
    """

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    failed: list[IngestFailure] = field(default_factory=list)
    syndicated: list[SyndicationLink] = field(default_factory=list)
    chunks: int = 0
    #: Files in the given folders that are of no supported type (not read; a run with only these still succeeds).
    skipped: list[str] = field(default_factory=list)
