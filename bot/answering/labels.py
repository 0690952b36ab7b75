"""From the outlet evidence stored with a passage to the label a reader sees."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from bot.answering.outlet_card import RATING
from bot.types import Citation, Corroboration, OutletLabel, SiteRef
from ingest.outlets import OutletRegistry, kind_label
from ingest.types import Outlet, OutletFact, OutletRef, Passage

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
#: A page that names itself by its host ("rollcall.com") gives no better name than the registry's.
_DOMAIN_LIKE = re.compile(r"[\w.-]+\.[a-z]{2,}")
#: How ``ingest.importers`` words an EU Annex XV fact, and how an EU act is cited in its source.
_EU_BAN = re.compile(r"broadcasting suspended in the EU since (\d{4}-\d{2}-\d{2})")
_EU_ACT = re.compile(r"Regulation \(EU\) (?:No )?(\d{4}/\d+)")


def outlet_label(ref: OutletRef | None, registry: OutletRegistry) -> OutletLabel:
    """The registry's facts for ``ref``; an outlet the registry does not know keeps kind ``unknown``.

    A ratings list knows some outlets only by their host (``rollcall.com``): such an outlet is called by
    the name its own page gives (``Roll Call``), and, since nobody classified it, carries its rating.
    """
    outlet = registry.resolve(ref)
    if outlet is not None:
        domain = _domain_for(outlet, ref)
        # "Phys.org" or "POLYGRAPH.info" is the outlet's own way of writing its name; only a lower-case host is
        # the bare fallback that says nothing more than the domain.
        page_name = ref.name if ref and not _is_bare_host(ref.name) else None
        return OutletLabel(
            name=page_name if page_name and outlet.name in outlet.domains else outlet.name,
            domain=domain, kind=outlet.kind, country=outlet.country, source=f"{outlet.source} (as of {outlet.as_of})",
            sanctions=sanction_lines(outlet.facts),
            rating=rating_line(outlet.facts, domain) if outlet.kind == UNKNOWN_KIND else None,
        )
    if ref is None:
        return OutletLabel(name="unknown outlet", domain=None, kind=UNKNOWN_KIND, country=None, source=None)
    return OutletLabel(name=ref.name, domain=ref.domain, kind=UNKNOWN_KIND, country=None, source=None)


def _is_bare_host(name: str) -> bool:
    return bool(_DOMAIN_LIKE.fullmatch(name)) and name == name.casefold()


def sanction_lines(facts: Iterable[OutletFact]) -> tuple[str, ...]:
    """One short line per authority: ``EU broadcast ban since 2022-03-01 (Reg. 2022/350 and later acts)``.

    Annex XV lists channels, so RT has seven near-identical EU facts (RT English, RT UK, …, RT Balkan):
    a reader needs the ban, its first date and its first act; the card (``outlets show``) lists them all.
    """
    sanctions = [f for f in facts if f.field == "sanction"]
    eu = [(match.group(1), f) for f in sanctions if (match := _EU_BAN.match(f.value))]
    other = [f"{f.value} — {f.source}" for f in sanctions if not _EU_BAN.match(f.value)]
    lines = []
    if eu:
        since, first = min(eu, key=lambda dated: (dated[0], dated[1].source))
        act = _EU_ACT.search(first.source)
        measure = f"Reg. {act.group(1)}" if act else first.source.split(" — ")[0]
        later = len({f.source.split(" — ")[0] for _, f in eu}) > 1  # the importer's source is "<act> — <report>"
        lines.append(f"EU broadcast ban since {since} ({measure}{' and later acts' if later else ''})")
    return tuple(lines + list(dict.fromkeys(other)))


def rating_line(facts: Iterable[OutletFact], domain: str | None) -> str | None:
    """``news-quality score 0.80/1 for rollcall.com (Lin et al. 2023, as of 2023-08)``; None without one."""
    rated = [(m, f) for f in facts if f.field == "rating" and (m := RATING.match(f.value))]
    if not rated:
        return None
    match, fact = next(((m, f) for m, f in rated if m.group(2) == domain), rated[0])
    imputed = ", imputed" if match.group(3) else ""
    return (f"news-quality score {match.group(1)}/1 for {match.group(2)} "
            f"({fact.source.split(',')[0]}{imputed}, as of {fact.as_of})")


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
        return f"{head} — outlet not in the registry, type not classified"
    described = f"{head} — {kind_label(Outlet(label.name, (), label.kind, label.country, '', ''))}"
    return f"{described}; {label.rating}" if label.rating else described


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
