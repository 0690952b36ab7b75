"""The outlet label card: everything the registry holds about an outlet, each claim with its source and date."""

from __future__ import annotations

import re
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


def _sourced(facts: list[OutletFact]) -> str:
    """``source A (as of 2023-08); source B (as of 2024)``: each distinct source once, in order."""
    return "; ".join(dict.fromkeys(f"{f.source} (as of {f.as_of})" for f in facts))


def _merged(facts: list[OutletFact]) -> list[str]:
    """One line per distinct claim: the bundled entry and a dataset saying the same thing share a line."""
    groups: dict[str, list[OutletFact]] = {}
    for fact in facts:
        groups.setdefault(" ".join(_fact_value(fact).casefold().split()), []).append(fact)
    return [f"{_fact_value(group[0])} — {_sourced(group)}" for group in groups.values()]


_LISTED = " — listed as "


def _sanctions(facts: list[OutletFact]) -> list[str]:
    """One line per act: Annex XV lists each channel, so RT's seven channels make two or three acts, not seven lines."""
    groups: dict[tuple[str, str], list[OutletFact]] = {}
    for fact in facts:
        groups.setdefault((fact.value.split(_LISTED)[0], fact.as_of), []).append(fact)
    lines = []
    for (measure, as_of), group in groups.items():
        listed = list(dict.fromkeys(f.value.split(_LISTED, 1)[1] for f in group if _LISTED in f.value))
        # The importer's source is "<act> — <report URL>"; the act is already in the value, so say the reports.
        reports = "; ".join(dict.fromkeys(f.source.split(" — ", 1)[-1] for f in group))
        lines.append(measure + (f"{_LISTED}{', '.join(listed)}" if listed else "") + f" — {reports} (as of {as_of})")
    return lines


#: How ``ingest.importers`` words a Lin et al. rating and a MisinfoMe flag; both name the domain they rate.
RATING = re.compile(r"news-quality score (\d\.\d\d) on a 0–1 scale for (\S+?)(;.*)?$")
_FLAGGED = re.compile(r"flagged as low-credibility on .+ \((\S+)\)$")


def _rated_domain(fact: OutletFact) -> str | None:
    match = RATING.match(fact.value)
    if match:
        return match.group(2)
    flag = _FLAGGED.match(fact.value)
    return flag.group(1) if flag else None


def _ratings(facts: list[OutletFact], domain: str | None) -> list[str]:
    """The outlet's own domain in full, then every other rated domain (mirrors, editions) on one line."""
    own = [f for f in facts if _rated_domain(f) in (None, domain)]
    others = [f for f in facts if f not in own]
    lines = _merged(own)
    scores = [f"{m.group(2)} {m.group(1)}{' (imputed)' if m.group(3) else ''}"
              for f in others if (m := RATING.match(f.value))]
    flagged = [m.group(1) for f in others if (m := _FLAGGED.match(f.value))]
    if scores or flagged:
        line = "other domains of this outlet: " + ", ".join(scores)
        if flagged:
            line += ("; " if scores else "") + "flagged as low-credibility: " + ", ".join(flagged)
        lines.append(f"{line} — {_sourced(others)}")
    return lines


def _own_domain_first(outlet: Outlet) -> list[str]:
    """Aliases: the main domain's own subdomains (de.rt.com) before mirrors on other domains (swentr.site)."""
    main = outlet.domain or ""
    aliases = [d for d in outlet.domains[1:] if "/" not in d]
    return sorted(aliases, key=lambda d: not d.endswith("." + main))


def card_lines(outlet: Outlet) -> list[str]:
    """The card as plain-text lines: a heading, then one line per distinct claim with its sources, by section."""
    aliases = _own_domain_first(outlet)
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
        shown_facts = (_sanctions(facts) if field == "sanction" else _ratings(facts, outlet.domain)
                       if field == "rating" else _merged(facts))
        lines.extend(f"    - {line}" for line in shown_facts)
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
