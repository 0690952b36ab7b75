"""From the outlet evidence stored with a passage to the label a reader sees."""

from __future__ import annotations

from bot.types import OutletLabel, SiteRef
from ingest.outlets import OutletRegistry, kind_label
from ingest.types import Outlet, OutletRef, Passage

UNKNOWN_KIND = "unknown"


def outlet_label(ref: OutletRef | None, registry: OutletRegistry) -> OutletLabel:
    """The registry's facts for ``ref``; an outlet the registry does not know keeps kind ``unknown``."""
    outlet = registry.resolve(ref)
    if outlet is not None:
        return OutletLabel(
            name=outlet.name, domain=_domain_for(outlet, ref), kind=outlet.kind, country=outlet.country,
            source=f"{outlet.source} (as of {outlet.as_of})",
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
    if label.kind == UNKNOWN_KIND:
        return f"{head} — outlet not in the registry"
    return f"{head} — {kind_label(Outlet(label.name, (), label.kind, label.country, '', ''))}"
