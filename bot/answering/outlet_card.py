"""The outlet label card: everything the registry holds about an outlet, each claim with its source and date."""

from __future__ import annotations

from typing import Any

from ingest.outlets import KIND_PHRASES, kind_label
from ingest.types import Outlet, OutletFact

#: Card sections, in reading order, with their headings.
SECTIONS = (
    ("kind", "kind"),
    ("typology", "state media typology"),
    ("country", "country"),
    ("owner", "owner"),
    ("sanction", "sanctions"),
    ("reliability", "reliability"),
    ("rating", "ratings"),
)


def _fact_value(fact: OutletFact) -> str:
    return KIND_PHRASES.get(fact.value, fact.value) if fact.field == "kind" else fact.value


def card_lines(outlet: Outlet) -> list[str]:
    """The card as plain-text lines: a heading, then one line per sourced claim, grouped by section."""
    aliases = [d for d in outlet.domains[1:] if "/" not in d]
    head = f"{outlet.name} ({outlet.domain})" if outlet.domain else outlet.name
    lines = [head, f"  {kind_label(outlet)}"]
    if aliases:
        shown = ", ".join(aliases[:8]) + (f" and {len(aliases) - 8} more" if len(aliases) > 8 else "")
        lines.append(f"  also at: {shown}")
    for field, heading in SECTIONS:
        facts = [f for f in outlet.facts if f.field == field]
        if not facts:
            continue
        lines.append(f"  {heading}:")
        lines.extend(f"    - {_fact_value(f)} — {f.source} (as of {f.as_of})" for f in facts)
    if not any(f.field in ("rating", "reliability", "sanction") for f in outlet.facts):
        lines.append("  no ratings or sanctions on record (import datasets with `newsdesk outlets import`)")
    return lines


def card_json(outlet: Outlet) -> dict[str, Any]:
    return {
        "name": outlet.name,
        "domains": list(outlet.domains),
        "kind": outlet.kind,
        "country": outlet.country,
        "owner": outlet.owner,
        "facts": [{"field": f.field, "value": f.value, "source": f.source, "as_of": f.as_of} for f in outlet.facts],
    }
