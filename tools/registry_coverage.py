"""How much of the real-web test set the bundled outlet registry knows (the table in the README).

Usage: ``python tools/registry_coverage.py [EXPECTED_JSON]`` (default ``../shared/data/realweb/expected.json``).
Counts each distinct outlet domain of the set (page publishers, original outlets, feed entry domains) once, and
says whether the curated entries alone, and the whole bundled registry (curated + compiled datasets), classify
it (a kind), only rate it (Lin et al. 2023), or do not know it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ingest.outlets import OutletRegistry, curated_outlets

ROOT = Path(__file__).resolve().parent.parent


def outlet_domains(expected: dict) -> list[str]:
    domains = []
    for page in expected["pages"].values():
        domains += [side["domain"] for side in (page.get("publisher"), page.get("original")) if side]
    for feed in expected["feeds"].values():
        domains += feed["entry_domains"]
    return sorted(set(domains))


def standing(registry: OutletRegistry, domain: str) -> str:
    outlet = registry.by_host(domain)
    if outlet is None:
        return "unknown"
    if outlet.kind != "unknown":
        return "classified"
    return "rated only" if any(f.field == "rating" for f in outlet.facts) else "known, unclassified"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else ROOT.parent / "shared" / "data" / "realweb" / "expected.json"
    domains = outlet_domains(json.loads(path.read_text(encoding="utf-8")))
    registries = {"curated only": OutletRegistry.from_outlets(curated_outlets()), "bundled": OutletRegistry.bundled()}
    states = ("classified", "rated only", "known, unclassified", "unknown")
    print(f"{len(domains)} outlet domains in {path.name}\n")
    print("| registry | " + " | ".join(states) + " |")
    print("|---|" + "---|" * len(states))
    for label, registry in registries.items():
        counts = [sum(standing(registry, d) == state for d in domains) for state in states]
        print(f"| {label} | " + " | ".join(str(n) for n in counts) + " |")
    for domain in domains:
        print(f"  {domain}: " + ", ".join(standing(r, domain) for r in registries.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
