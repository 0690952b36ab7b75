"""The outlet registry: bundled facts about outlets, looked up by domain or name.

Every entry carries the source of its ``kind`` and the date that source speaks for, so that a label
shown to a reader can always say who says so and as of when. The registry is a value built once at
start-up from data files; nothing here is global.

The bundled registry has two parts: ``outlets.yaml`` (curated for newsdesk) and ``registry.json``, the
openly licensed public datasets compiled by ``make registry`` (``tools/build_registry.py``), each fact
with its source and as-of date. A dataset imported with ``newsdesk outlets import`` replaces its
compiled copy, so an update never doubles a dataset's facts.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.domains import host_of, parent_hosts
from ingest.types import Outlet, OutletFact, OutletRef

BUNDLED_FILES = (
    Path(__file__).parent / "data" / "outlets.yaml",
    Path(__file__).parent / "data" / "outlets_samples.yaml",
)
#: The public datasets compiled at build time (``make registry``); see ``ingest.importers.compile_registry``.
COMPILED_FILE = Path(__file__).parent / "data" / "registry.json"

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
    # Only for outlets known from an imported dataset that does not classify them (e.g. a ratings list).
    "unknown": "outlet type not classified",
}
#: Imported datasets live here, one JSON file per dataset, under the data directory.
LOCAL_REGISTRY_DIR = "outlets"
#: The merged registry, cached under the data directory: parsing and merging its files took 0.4 s of every
#: `newsdesk sources` and `ask` (#16), reading the merged form back takes a fraction of that.
CACHE_DIR = "cache"
#: Part of the cache key with the content of every input file and of the code that merges them (this module,
#: ``ingest/types.py`` and ``ingest/domains.py``), so any change to either is a new key; bump it when the cache's
#: layout changes.
CACHE_FORMAT = 1

logger = logging.getLogger(__name__)


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
    if raw["kind"] not in KIND_PHRASES or raw["kind"] == "unknown":
        raise RegistryError(f"{where} ({raw['name']}): unknown kind {raw['kind']!r}; one of {sorted(KIND_PHRASES)}")
    source, as_of = str(raw["source"]), str(raw["as_of"])
    facts = [OutletFact("kind", str(raw["kind"]), source, as_of)]
    facts += [OutletFact(key, str(raw[key]), source, as_of) for key in ("country", "owner") if raw.get(key)]
    for extra in raw.get("facts") or []:
        facts.append(_parse_fact(extra, f"{where} ({raw['name']})"))
    return Outlet(
        name=str(raw["name"]),
        domains=tuple(str(d).lower() for d in raw["domains"]),
        kind=str(raw["kind"]),
        country=str(raw["country"]) if raw.get("country") else None,
        source=source,
        as_of=as_of,
        owner=str(raw["owner"]) if raw.get("owner") else None,
        facts=tuple(facts),
    )


def _parse_fact(raw: object, where: str) -> OutletFact:
    if not isinstance(raw, dict) or any(not raw.get(k) for k in ("field", "value", "source", "as_of")):
        raise RegistryError(f"{where}: a fact needs field, value, source and as_of: {raw!r}")
    return OutletFact(str(raw["field"]), str(raw["value"]), str(raw["source"]), str(raw["as_of"]))


@dataclass(frozen=True, slots=True)
class ImportedOutlet:
    """One outlet as a public dataset describes it; merged into the bundled registry at load."""

    name: str
    domains: tuple[str, ...]
    facts: tuple[OutletFact, ...]
    country: str | None = None
    kind: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "domains": list(self.domains), "country": self.country, "kind": self.kind,
                "facts": [{"field": f.field, "value": f.value, "source": f.source, "as_of": f.as_of}
                          for f in self.facts]}


def load_imported(path: Path) -> list[ImportedOutlet]:
    """Outlets of one imported dataset file (written by ``ingest.importers``)."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise RegistryError(f"{path}: not valid JSON ({error})") from error
    return [
        ImportedOutlet(
            name=str(row["name"]), domains=tuple(row.get("domains") or ()), country=row.get("country"),
            kind=row.get("kind"), facts=tuple(_parse_fact(f, f"{path} ({row['name']})") for f in row["facts"]),
        )
        for row in rows
    ]


def _record_from_row(row: list, sources: list[list[str]]) -> ImportedOutlet:
    name, domains, country, kind, facts = row
    texts = [name, *domains, *(v for v in (country, kind) if v is not None), *(v for f in facts for v in f[:2])]
    if not all(isinstance(text, str) for text in texts):
        raise TypeError(f"an outlet row holds a value that is not text: {row!r:.80}")
    return ImportedOutlet(name=name, domains=tuple(domains), country=country, kind=kind,
                          facts=tuple(OutletFact(field, value, *sources[i]) for field, value, i in facts))


@functools.lru_cache(maxsize=2)
def load_compiled(path: Path = COMPILED_FILE) -> tuple[tuple[str, tuple[ImportedOutlet, ...]], ...]:
    """The compiled datasets as ``(format, records)`` pairs; an absent file is an empty registry part.

    Read once per process: the file ships with the package and never changes while it runs, and the
    records are frozen values, so sharing them is safe (the registries built from them are not shared).
    """
    if not path.is_file():
        return ()
    try:
        compiled = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            (str(d["format"]), tuple(_record_from_row(row, d["sources"]) for row in d["outlets"]))
            for d in compiled["datasets"]
        )
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise RegistryError(f"{path}: not a compiled registry ({error!r}); rebuild it with `make registry`") from error


def _is_bare_domain(outlet: Outlet) -> bool:
    """An outlet a ratings list created: its "name" is only its host (``rollcall.com``)."""
    return outlet.name in outlet.domains


def merge_imported(bundled: list[Outlet], imported: Iterable[ImportedOutlet]) -> list[Outlet]:
    """Bundled outlets with imported facts attached; outlets only a dataset knows are added.

    An imported outlet joins the bundled one that owns any of its domains (or has its name). Facts are
    appended, never replaced: where a dataset disagrees with the bundled entry, both claims stay, each
    with its source, and the bundled (curated) kind and country remain the ones used in labels.
    """
    outlets = {o.name: o for o in bundled}
    owner_of = {d: o.name for o in bundled for d in o.domains}
    name_of = {o.name.casefold(): o.name for o in bundled}
    for record in imported:
        if not record.facts:
            continue
        target = next((owner_of[h] for d in record.domains for h in parent_hosts(d) if h in owner_of), None)
        target = target or name_of.get(record.name.casefold())
        if target is None:
            first = record.facts[0]
            target = record.name  # not a known name, or the lookup above would have found it
            outlets[target] = Outlet(target, (), "unknown", record.country, first.source, first.as_of, None, ())
            name_of[target.casefold()] = target
        current = outlets[target]
        if _is_bare_domain(current) and record.name.casefold() not in name_of and record.name not in record.domains:
            # A ratings list knows the outlet only by its host; a later dataset that names it names the outlet.
            del outlets[target], name_of[target.casefold()]
            current, target = replace(current, name=record.name), record.name
            name_of[target.casefold()] = target
            owner_of.update({d: target for d in current.domains})
        if current.kind == "unknown" and record.kind in KIND_PHRASES and record.kind != "unknown":
            # Only datasets create "unknown" outlets; the first one that classifies the outlet decides,
            # whatever order the dataset files were loaded in.
            kind_fact = next((f for f in record.facts if f.field == "kind"), record.facts[0])
            current = replace(current, kind=record.kind, country=current.country or record.country,
                              source=kind_fact.source, as_of=kind_fact.as_of)
        new_domains = tuple(d for d in record.domains if d not in owner_of)
        new_facts = tuple(f for f in record.facts if f not in current.facts)
        outlets[target] = replace(current, domains=current.domains + new_domains, facts=current.facts + new_facts)
        owner_of.update({d: target for d in new_domains})
    return list(outlets.values())


def curated_outlets() -> list[Outlet]:
    """The outlets written for newsdesk (``outlets.yaml`` and the samples), without any dataset."""
    return [outlet for path in BUNDLED_FILES for outlet in load_outlets(path)]


def bundled_outlets() -> list[Outlet]:
    """What a fresh install knows: the curated outlets merged with the compiled public datasets."""
    return list(_bundled())


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[Outlet, ...]:
    # Merging 12k dataset records takes a quarter of a second, and every Desk (each CLI command) builds a
    # registry: merge the shipped files once per process. Outlets are frozen, and each registry gets new dicts.
    return tuple(merge_imported(curated_outlets(), [r for _, records in sorted(load_compiled()) for r in records]))


def load_outlets(path: Path) -> list[Outlet]:
    import yaml  # here: `ask` reads the merged registry from its cache and never parses YAML (#16)

    # libyaml's loader when PyYAML has it: 5x faster on outlets.yaml, and every `newsdesk` command loads it (#16).
    entries = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or []
    if not isinstance(entries, list):
        raise RegistryError(f"{path}: expected a list of outlets")
    return [_parse_entry(raw, f"{path} entry {i}") for i, raw in enumerate(entries)]


def _merged(local: tuple[Path, ...]) -> tuple[Outlet, ...]:
    if not local:
        return _bundled()
    datasets: dict[str, tuple[ImportedOutlet, ...] | list[ImportedOutlet]] = dict(load_compiled())
    for path in local:
        datasets[path.stem] = load_imported(path)
    imported = [record for name in sorted(datasets) for record in datasets[name]]
    return tuple(merge_imported(curated_outlets(), imported))


def _inputs_key(local: tuple[Path, ...]) -> str:
    """A digest of everything the merged registry is made from: the files' content, not their times, so that
    a dataset re-imported within the same clock tick is still a new key."""
    digest = hashlib.sha1(f"{CACHE_FORMAT}\n".encode())
    code = [Path(__file__).with_name(name) for name in ("outlets.py", "types.py", "domains.py")]
    for path in (*code, *BUNDLED_FILES, COMPILED_FILE, *local):
        digest.update(f"{path.name}\n".encode())
        with suppress(FileNotFoundError):
            digest.update(hashlib.sha1(path.read_bytes()).digest())
    return digest.hexdigest()[:20]


def _merged_cached(cache_dir: Path, local: tuple[Path, ...]) -> tuple[Outlet, ...]:
    """``_merged(local)``, from ``cache_dir`` when an earlier run cached the same inputs (else cached now)."""
    key = _inputs_key(local)
    return _merged_in_process(key, cache_dir / f"registry-{key}.json", local)


@functools.lru_cache(maxsize=4)
def _merged_in_process(key: str, cache_file: Path, local: tuple[Path, ...]) -> tuple[Outlet, ...]:
    # Outlets are frozen, so one merge serves every registry of the process with the same inputs (tests and the
    # Telegram bot build many); ``key`` is what makes two calls the same, ``cache_file`` only where to look.
    try:
        with _collector_paused():
            return _from_cache(json.loads(cache_file.read_text(encoding="utf-8")))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, TypeError, KeyError, IndexError) as error:  # damaged: rebuilt and replaced below
        logger.warning("the registry cache %s is damaged (%s); rebuilding it", cache_file, type(error).__name__)
    outlets = _merged(local)
    with suppress(OSError):  # a read-only data directory still gets its registry, merged each time
        cache_dir = cache_file.parent
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("registry-*.json"):
            old.unlink(missing_ok=True)  # another version's or dataset's: never read again
        handle, staging = tempfile.mkstemp(prefix=cache_file.name + ".", suffix=".tmp", dir=cache_dir)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(_to_cache(outlets), out, ensure_ascii=False, separators=(",", ":"))
            os.replace(staging, cache_file)
        finally:
            Path(staging).unlink(missing_ok=True)
    return outlets


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: reading the cache allocates some 100k tuples and outlets, all kept,
    and the collections they set off (two full ones) took as long as the reading itself (#16)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _to_cache(outlets: Iterable[Outlet]) -> dict[str, list]:
    """Outlets as plain lists, each (source, as of) pair written once: 12k outlets share a few dozen."""
    sources: dict[tuple[str, str], int] = {}

    def at(source: str, as_of: str) -> int:
        return sources.setdefault((source, as_of), len(sources))

    rows = [[o.name, o.domains, o.kind, o.country, at(o.source, o.as_of), o.owner,
             [[f.field, f.value, at(f.source, f.as_of)] for f in o.facts]] for o in outlets]
    return {"sources": list(sources), "outlets": rows}


def _from_cache(cached: dict[str, list]) -> tuple[Outlet, ...]:
    sources = [(str(source), str(as_of)) for source, as_of in cached["sources"]]
    return tuple(Outlet(name, tuple(domains), kind, country, *sources[at], owner,  # type: ignore[misc]
                        tuple(OutletFact(field, value, *sources[i]) for field, value, i in facts))
                 for name, domains, kind, country, at, owner, facts in cached["outlets"])


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
        return cls.from_outlets(bundled_outlets())

    @classmethod
    def load(cls, data_dir: Path, *, cache_dir: Path | None = None) -> OutletRegistry:
        """The bundled registry merged with every dataset imported into ``data_dir``.

        A dataset imported locally (``outlets/<format>.json``) replaces the compiled copy of that dataset:
        the import is the newer file, and keeping both would show every fact twice. The merged result is
        cached in ``cache_dir`` (default ``data_dir/cache``).
        """
        local = tuple(sorted((data_dir / LOCAL_REGISTRY_DIR).glob("*.json")))
        return cls.from_outlets(_merged_cached(cache_dir or data_dir / CACHE_DIR, local))

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
