"""From the outlet evidence stored with a passage to the label a reader sees."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from bot.types import Citation, Corroboration, OutletLabel, SiteRef
from ingest.outlets import OutletRegistry, kind_label
from ingest.types import Outlet, OutletRef, Passage

UNKNOWN_KIND = "unknown"
#: Countable nouns for each kind, for "Backed by 2 independent outlets: 1 wire service, 1 public broadcaster".
COUNT_NOUNS = {
    "state-controlled": "state-controlled outlet",
    "state-funded independent": "state-funded independent outlet",
    "public broadcaster": "public broadcaster",
    "wire service": "wire service",
    "commercial": "commercial outlet",
    "nonprofit": "nonprofit newsroom",
    "aggregator": "aggregator",
    UNKNOWN_KIND: "unclassified outlet",
}


def outlet_label(ref: OutletRef | None, registry: OutletRegistry) -> OutletLabel:
    """The registry's facts for ``ref``; an outlet the registry does not know keeps kind ``unknown``."""
    outlet = registry.resolve(ref)
    if outlet is not None:
        return OutletLabel(
            name=outlet.name, domain=_domain_for(outlet, ref), kind=outlet.kind, country=outlet.country,
            source=f"{outlet.source} (as of {outlet.as_of})",
            sanctions=tuple(f"{f.value} — {f.source}" for f in outlet.facts if f.field == "sanction"),
        )
    if ref is None:
        return OutletLabel(name="unknown outlet", domain=None, kind=UNKNOWN_KIND, country=None, source=None)
    return OutletLabel(name=ref.name, domain=ref.domain, kind=UNKNOWN_KIND, country=None, source=None)


def _domain_for(outlet: Outlet, ref: OutletRef | None) -> str | None:
    # Show the registrable domain the evidence named when it is one of the outlet's own (de.rt.com → rt.com).
    if ref and ref.domain and any(ref.domain == d or ref.domain.endswith("." + d) for d in outlet.domains):
        return next(d for d in outlet.domains if ref.domain == d or ref.domain.endswith("." + d))
    return outlet.domain


def republisher(passage: Passage, original: OutletLabel, registry: OutletRegistry) -> SiteRef | None:
    """The site that hosted the passage when it is not the original outlet; None otherwise."""
    if passage.publisher is None:
        return None
    host = registry.resolve(passage.publisher)
    host_name = host.name if host else passage.publisher.name
    if host_name.casefold() == original.name.casefold():
        return None
    if passage.publisher.domain and passage.publisher.domain == original.domain:
        return None
    return SiteRef(name=host_name, domain=passage.publisher.domain or (host.domain if host else None))


def describe(label: OutletLabel) -> str:
    """``RT (rt.com) — state-controlled media, Russia``; unknown outlets are said to be unknown."""
    head = f"{label.name} ({label.domain})" if label.domain and label.domain != label.name else label.name
    if label.kind == UNKNOWN_KIND and not label.source:
        return f"{head} — outlet not in the registry"
    return f"{head} — {kind_label(Outlet(label.name, (), label.kind, label.country, '', ''))}"


def corroboration(citations: Iterable[Citation]) -> Corroboration | None:
    """The independent outlets behind ``citations``, by kind, with a warning when they are one-sided.

    Citations carry their original outlet (a syndicated copy is credited to the outlet it copies), so
    counting distinct original outlets counts each story's producer once, however often it was republished.
    """
    outlets: dict[str, str] = {}
    for citation in citations:
        outlets.setdefault(citation.outlet.name, citation.outlet.kind)
    if not outlets:
        return None
    by_kind = dict(Counter(outlets.values()).most_common())
    kinds = ", ".join(f"{n} {COUNT_NOUNS.get(kind, kind)}{'' if n == 1 else 's'}" for kind, n in by_kind.items())
    noun = "outlet" if len(outlets) == 1 else "independent outlets"
    summary = f"Backed by {len(outlets)} {noun}: {kinds}."
    warning = None
    if set(outlets.values()) == {"state-controlled"}:
        warning = "All cited passages come from state-controlled media."
    elif len(outlets) == 1:
        warning = f"All cited passages come from a single outlet ({next(iter(outlets))})."
    return Corroboration(len(outlets), tuple(outlets), by_kind, summary, warning)
