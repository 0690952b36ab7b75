"""The outlet registry: bundled facts about outlets, looked up by domain or name.

Every entry carries the source of its ``kind`` and the date that source speaks for, so that a label
shown to a reader can always say who says so and as of when. The registry is a value built once at
start-up from data files; nothing here is global.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ingest.domains import host_of, parent_hosts
from ingest.types import Outlet, OutletRef

BUNDLED_FILES = (
    Path(__file__).parent / "data" / "outlets.yaml",
    Path(__file__).parent / "data" / "outlets_samples.yaml",
)

#: Outlet kinds and how a citation says them. State-funded but editorially independent media are
#: kept apart from state-controlled media, as every serious labeller does (shared/notes/outlet-labels.md).
KIND_PHRASES = {
    "state-controlled": "state-controlled media",
    "state-funded independent": "state-funded, editorially independent",
    "public broadcaster": "public broadcaster",
    "wire service": "wire service",
    "commercial": "commercial outlet",
    "nonprofit": "nonprofit newsroom",
    "aggregator": "aggregator/republisher",
}


class RegistryError(ValueError):
    """A registry file is malformed; the message names the file and the entry."""


def kind_label(outlet: Outlet) -> str:
    """``state-controlled media, Russia``: the outlet's kind in words, with its country where it matters."""
    phrase = KIND_PHRASES.get(outlet.kind, outlet.kind)
    return f"{phrase}, {outlet.country}" if outlet.country else phrase


def _parse_entry(raw: object, where: str) -> Outlet:
    if not isinstance(raw, dict):
        raise RegistryError(f"{where}: an entry must be a mapping")
    missing = [key for key in ("name", "domains", "kind", "source", "as_of") if not raw.get(key)]
    if missing:
        raise RegistryError(f"{where} ({raw.get('name', '?')}): missing {', '.join(missing)}")
    if raw["kind"] not in KIND_PHRASES:
        raise RegistryError(f"{where} ({raw['name']}): unknown kind {raw['kind']!r}; one of {sorted(KIND_PHRASES)}")
    return Outlet(
        name=str(raw["name"]),
        domains=tuple(str(d).lower() for d in raw["domains"]),
        kind=str(raw["kind"]),
        country=str(raw["country"]) if raw.get("country") else None,
        source=str(raw["source"]),
        as_of=str(raw["as_of"]),
        owner=str(raw["owner"]) if raw.get("owner") else None,
    )


def load_outlets(path: Path) -> list[Outlet]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: expected a list of outlets")
    return [_parse_entry(raw, f"{path} entry {i}") for i, raw in enumerate(entries)]


@dataclass(frozen=True, slots=True)
class OutletRegistry:
    """Outlets indexed by domain and by lower-cased name."""

    by_domain: dict[str, Outlet]
    by_name: dict[str, Outlet]

    @classmethod
    def from_outlets(cls, outlets: Iterable[Outlet]) -> OutletRegistry:
        by_domain: dict[str, Outlet] = {}
        by_name: dict[str, Outlet] = {}
        for outlet in outlets:
            for domain in outlet.domains:
                if domain in by_domain and by_domain[domain].name != outlet.name:
                    raise RegistryError(f"domain {domain} is claimed by {by_domain[domain].name} and {outlet.name}")
                by_domain[domain] = outlet
            by_name[outlet.name.casefold()] = outlet
        return cls(by_domain=by_domain, by_name=by_name)

    @classmethod
    def bundled(cls) -> OutletRegistry:
        return cls.from_outlets(outlet for path in BUNDLED_FILES for outlet in load_outlets(path))

    def by_host(self, url_or_host: str) -> Outlet | None:
        """The outlet that owns a URL's host or one of its parent domains (``de.rt.com`` → RT)."""
        host = host_of(url_or_host)
        if host is None:
            return None
        return next((self.by_domain[h] for h in parent_hosts(host) if h in self.by_domain), None)

    def resolve(self, ref: OutletRef | None) -> Outlet | None:
        """The registry entry for evidence naming a site, by domain first, then by name; None if unknown."""
        if ref is None:
            return None
        if ref.domain and (found := self.by_host(ref.domain)):
            return found
        name = ref.name.casefold()
        return self.by_name.get(name) or (self.by_host(ref.name) if "." in name else None)

    def __len__(self) -> int:
        return len(self.by_name)
