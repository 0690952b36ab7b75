"""Answer values: what the answerer returns and what ``ask --json`` prints (a contract other tools rely on)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OutletLabel:
    """The outlet behind a passage, as shown to the reader: ``source`` says who classified it, and when."""

    name: str
    domain: str | None
    kind: str
    country: str | None
    source: str | None
    #: Sanctions and bans, one short line per authority (the acts collapsed); empty unless a source backs one.
    sanctions: tuple[str, ...] = ()
    #: The domain's quality rating with its source and date, for outlets the registry does not classify.
    rating: str | None = None


@dataclass(frozen=True, slots=True)
class SiteRef:
    name: str
    domain: str | None


@dataclass(frozen=True, slots=True)
class Citation:
    """One quoted sentence, verbatim from the article body at ``[start:end]``."""

    n: int
    quote: str
    article_id: str
    chunk_id: str
    title: str
    url: str | None
    published_at: str | None
    outlet: OutletLabel
    republished_by: SiteRef | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Corroboration:
    """How many independent outlets back the cited passages; copies count once, under their original."""

    outlets: int
    names: tuple[str, ...]
    by_kind: dict[str, int]
    summary: str
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class SentenceCheck:
    """One sentence of a model-written answer as shown, the sources it cites and what was not found in them."""

    sentence: str
    citations: tuple[int, ...]
    unsupported: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: tuple[Citation, ...]
    corroboration: Corroboration | None = None
    #: "extractive", or "llm:<model>" when a model wrote the answer.
    answerer: str = "extractive"
    #: One line for the reader when the answer is not what was asked for, e.g. the model failed and quotes follow.
    notice: str | None = None
    #: Per sentence of a model-written answer, its citations and what was not found in them; empty otherwise.
    checks: tuple[SentenceCheck, ...] = ()
