"""Importers for the public outlet datasets in ``shared/data/outlets/`` (see its README).

Each parser reads one dataset's CSV and returns ``ImportedOutlet`` records whose facts keep the
dataset's source and as-of date and say what the dataset claims in a short phrase a reader can see.
``import_dataset`` writes one JSON file per dataset under ``data_dir/outlets/``, which
``OutletRegistry.load`` merges into the bundled registry; re-importing a dataset replaces its file.
Every parser raises ``DatasetError`` naming the file when it is missing, is another dataset (its header
lacks the expected columns) or holds a value the dataset never has (a bad typology code, score or date).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ingest.domains import host_of, registrable_domain
from ingest.outlets import LOCAL_REGISTRY_DIR, ImportedOutlet, curated_outlets
from ingest.types import OutletFact

FORMATS = ("state-media-matrix", "lin2023", "wikipedia-perennial", "eu-bans")

SMM_SOURCE = "ASD/GMF State Media Matrix (typology from the State Media Monitor, MJRC)"
SMM_AS_OF = "2023-08"
#: State Media Monitor typology: (kind, phrase). Only SC/CaPu/CaPr mean the state controls the editorial
#: line; the others are funded or managed by the state but editorially independent (data README, §1).
_SC, _SFI, _PB = "state-controlled", "state-funded independent", "public broadcaster"
TYPOLOGY = {
    "SC": (_SC, "state-controlled media (the state controls funding, governance and editorial line)"),
    "CaPu": (_SC, "captured public media (the state controls governance and editorial line)"),
    "CaPr": (_SC, "captured private media (privately owned; the state controls the editorial line)"),
    "ISFM": (_SFI, "independent state-funded and state-managed media (state funds and governs it; own editorial line)"),
    "ISF": (_SFI, "independent state-funded media (state funding; own editorial line)"),
    "ISM": (_SFI, "independent state-managed media (state governance; own editorial line)"),
    "IP": (_PB, "independent public media (the state controls neither funding, governance nor editorial line)"),
}
#: The score's description lives in the source, not in each of the 11.5k values: that keeps the bundled
#: registry small, and the card shows the source next to every value anyway.
LIN_SOURCE = ("Lin et al. 2023, PNAS Nexus 2(9) pgad286 (hauselin/domain-quality-ratings): aggregate of "
              "Ad Fontes Media, MBFC, fact-checker and expert ratings")
LIN_AS_OF = "2023-08"
#: Component columns whose short decimals mark an observed (not imputed) rating (data README, §2).
LIN_COMPONENTS = ("afm", "fc", "mbfc", "lewandowsky_mean")
WIKI_SOURCE = "Wikipedia:Reliable sources/Perennial sources (CC BY-SA 3.0)"
WIKI_AS_OF = "2021-03-17"
WIKI_STATUSES = ("Generally reliable", "No consensus", "Generally unreliable", "Deprecated", "Blacklisted")

COLUMNS = {
    "state-media-matrix": ("State Media Matrix", ("Country", "Media company", "Main assets", "URL", "Typology")),
    "lin2023": ("Lin et al. 2023 domain ratings", ("domain", "pc1", *LIN_COMPONENTS, "misinfome_bin")),
    "wikipedia-perennial": ("Wikipedia perennial sources", ("name", "status", "urls", "info")),
    "eu-bans": ("EU Annex XV media bans", ("entity_as_listed", "eu_measure", "adopted", "in_effect_note",
                                            "domain_hints_from_state_media_matrix", "source_urls")),
}


class DatasetError(ValueError):
    """A dataset file is missing or is not the format asked for; the message names the file."""


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import wrote: ``skipped`` counts rows that could not become an outlet (no URL, path keys)."""

    format: str
    source_path: Path
    outlets: int
    facts: int
    skipped: int
    written_to: Path


def _rows(path: Path, fmt: str) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a CSV file whose header has the format's columns."""
    label, columns = COLUMNS[fmt]
    try:
        # utf-8-sig also reads files without a BOM; the State Media Matrix has one, a re-saved file may too.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in columns if c not in (reader.fieldnames or [])]
            if missing:
                raise DatasetError(f"{path}: not a {label} file: missing columns {missing}")
            return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]
    except FileNotFoundError as error:
        raise DatasetError(f"{path}: no such file (expected the {label} CSV)") from error
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"{path}: cannot read the {label} file ({error})") from error


def _unique(items: Iterable[str | OutletFact | None]) -> list:
    return list(dict.fromkeys(i for i in items if i))


def _hosts(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(_unique(host_of(v) for v in values))


def _parse_state_media_matrix(path: Path) -> tuple[list[ImportedOutlet], int]:
    rows = _rows(path, "state-media-matrix")
    by_host: dict[str, list[dict[str, str]]] = {}
    for line, row in rows:
        if row["Typology"] and row["Typology"].rstrip("?") not in TYPOLOGY:
            raise DatasetError(f"{path}:{line}: unknown typology {row['Typology']!r}; one of {sorted(TYPOLOGY)}")
        if host := host_of(row["URL"]):  # 83 rows (one blank) have no website to match
            by_host.setdefault(host, []).append(row)
    # Generic asset names recur across states ("NTV": Russia, Turkey, Nepal) and the registry joins records
    # by name, so such a name gets its country to keep the outlets apart.
    countries: dict[str, set[str]] = {}
    for row in (r for group in by_host.values() for r in group):
        countries.setdefault((row["Main assets"] or row["Media company"]).casefold(), set()).add(row["Country"])
    outlets, used = [], 0
    for host, group in by_host.items():
        if not (facts := _unique(fact for row in group for fact in _smm_facts(row))):
            continue
        used += len(group)
        name = group[0]["Main assets"] or group[0]["Media company"]
        if len(countries[name.casefold()]) > 1:
            name = f"{name} ({group[0]['Country']})"
        # One host can serve a captured and an independent asset (rtv.rs: RTV1 CaPr, Radio Novi Sad ISFM):
        # the strongest claim sets the kind, and every row's typology stays as a fact.
        kinds = {TYPOLOGY[r["Typology"].rstrip("?")][0] for r in group if r["Typology"]}
        kind = next((k for k in (_SC, _SFI, _PB) if k in kinds), None)
        outlets.append(ImportedOutlet(name, (host,), tuple(facts), group[0]["Country"] or None, kind))
    return outlets, len(rows) - used


def _smm_facts(row: dict[str, str]) -> list[OutletFact | None]:
    def fact(field: str, value: str) -> OutletFact | None:
        return OutletFact(field, value, SMM_SOURCE, SMM_AS_OF) if value else None

    code = row["Typology"]
    kind, phrase = TYPOLOGY.get(code.rstrip("?"), ("", ""))
    # "ISFM?" (4 USAGM rows) is the source's own doubt about the code: keep the code, say it is uncertain.
    label = f"{code.rstrip('?')} (uncertain)" if code.endswith("?") else code
    return [fact("typology", f"{label} — {phrase}" if phrase else ""), fact("kind", kind),
            fact("country", row["Country"]), fact("owner", row["Media company"])]


def _observed(value: str) -> bool:
    """The README's heuristic: raters give ≤4 decimals, imputed cells are long floats (0.679063379764557)."""
    return len(value.partition(".")[2]) <= 4


def _parse_lin2023(path: Path) -> tuple[list[ImportedOutlet], int]:
    rows = _rows(path, "lin2023")
    facts_of: dict[str, list[OutletFact]] = {}
    skipped = 0
    for line, row in rows:
        key = row["domain"].lower()
        host = host_of(key)
        # Path keys ("rfi.fr/en", "facebook.com/news") rate a section, not the site: a host never matches them.
        if "/" in key or host is None:
            skipped += 1
            continue
        try:
            score, _ = float(row["pc1"]), [float(row[c]) for c in LIN_COMPONENTS]
        except ValueError as error:
            raise DatasetError(f"{path}:{line}: not a number ({error})") from error
        value = f"news-quality score {score:.2f} on a 0–1 scale for {key}"
        if not any(_observed(row[c]) for c in LIN_COMPONENTS):
            value += "; imputed: no rater covered this domain"
        facts = facts_of.setdefault(host, [])  # "www.xinhuanet.com" and "xinhuanet.com" are one host
        facts.append(OutletFact("rating", value, LIN_SOURCE, LIN_AS_OF))
        if row["misinfome_bin"] == "0":  # 0 = flagged (data README, §2)
            facts.append(OutletFact("rating", f"flagged as low-credibility on MisinfoMe/Iffy-type lists ({key})",
                                    LIN_SOURCE, LIN_AS_OF))
    return [ImportedOutlet(host, (host,), tuple(facts)) for host, facts in facts_of.items()], skipped


def _names(listed: str) -> list[str]:
    """``Blaze Media (BlazeTV, TheBlaze)`` → compact forms of the name and each alias: blazemedia, blazetv, …"""
    parts = re.split(r"[(),]", listed)
    return [n for n in (re.sub(r"[^0-9a-z]", "", p.casefold()) for p in parts) if n]


def _names_host(names: list[str], host: str) -> bool:
    """Whether a source's name or alias is its host's registrable label (``AFP`` ↔ afp.com, ``JAMA`` ↔ jamanetwork)."""
    label = (registrable_domain(host) or host).split(".")[0].replace("-", "")
    # Substrings only from 4 letters, so "AA" matches aa.com.tr exactly but "rt" matches nothing by accident.
    return any(n == label or (min(len(n), len(label)) >= 4 and (n in label or label in n)) for n in names)


def _is_site(url: str) -> bool:
    """``www.bbc.com`` or ``//telesurtv.net/``, not ``catalog.loc.gov/vwebv/search?…`` (a page on a site)."""
    return re.fullmatch(r"[^/?#]+/?", url.split("//")[-1]) is not None


def _parse_wikipedia_perennial(path: Path) -> tuple[list[ImportedOutlet], int]:
    rows = _rows(path, "wikipedia-perennial")
    parsed = []
    for line, row in rows:
        try:
            statuses, urls = json.loads(row["status"]), json.loads(row["urls"])
            if not isinstance(statuses, list) or not isinstance(urls, list):
                raise ValueError("not a list")
        except ValueError as error:
            raise DatasetError(f"{path}:{line}: status and urls must be JSON lists ({error})") from error
        parsed.append((row, [s for s in statuses if s in WIKI_STATUSES], [str(u) for u in urls]))
    base = {row["name"]: re.sub(r"\s*\(.*", "", row["name"]) for row, _, _ in parsed}
    # ``urls`` is scraped from infoboxes and external links, not curated: JAMA lists jstor.org, Amazon
    # nasdaq.com, three sources youtube.com. A host listed by sources of different names is a reference
    # link, as is any URL with a path or query (a catalogue entry, a stock quote, a streaming app), unless
    # the host is the source's own name (YouTube ↔ youtube.com, AFP ↔ afp.com/en).
    listed_by: dict[str, set[str]] = {}
    for row, _, urls in parsed:
        for host in _hosts(urls):
            listed_by.setdefault(host, set()).add(base[row["name"]])
    # The curated outlets only: an import must not depend on the compiled datasets it may replace.
    bundled = {o.name.casefold(): o.name for o in curated_outlets()}
    base_count = {b: list(base.values()).count(b) for b in base.values()}
    outlets, skipped = [], 0
    for row, statuses, urls in parsed:
        if not statuses:  # e.g. The Canary, whose only "status" is a scraping artefact
            skipped += 1
            continue
        names = _names(row["name"])
        domains = _unique(host for url in urls if (host := host_of(url)) and (
            _names_host(names, host) or (_is_site(url) and len(listed_by[host]) == 1)))
        name = row["name"]
        name = bundled.get(base[name].casefold(), name)  # "RT (Russia Today)" joins bundled "RT" by name
        # Several entries for one source differ by topic or period ("Fox News (talk shows)"): say which.
        entry = f" (entry “{row['name']}”)" if base_count[base[row["name"]]] > 1 else ""
        first = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"])", " ".join(row["info"].split()), maxsplit=1)[0]
        if len(first) > 200:
            first = first[:200].rsplit(" ", 1)[0] + "…"
        value = f"Wikipedia editors{entry}: {' / '.join(statuses)}" + (f" — {first}" if first else "")
        fact = OutletFact("reliability", value, WIKI_SOURCE, WIKI_AS_OF)
        outlets.append(ImportedOutlet(name, tuple(domains), (fact,)))
    return outlets, skipped


def _parse_eu_bans(path: Path) -> tuple[list[ImportedOutlet], int]:
    rows = _rows(path, "eu-bans")
    # Annex XV names channels, and the hints are blank where the State Media Matrix has no host. A channel
    # named "<bundled outlet> <edition>" ("RT UK", "RT Balkan") is that outlet's edition, so it gets the
    # outlet's main domain; the longest name wins so "RT" never shadows a longer bundled name.
    known = sorted((o for o in curated_outlets() if o.domain), key=lambda o: len(o.name), reverse=True)
    outlets = []
    for line, row in rows:
        name, measure, adopted = row["entity_as_listed"], row["eu_measure"], row["adopted"]
        try:
            date.fromisoformat(adopted)
        except ValueError as error:
            raise DatasetError(f"{path}:{line}: adopted must be an ISO date, not {adopted!r}") from error
        domains = _hosts(row["domain_hints_from_state_media_matrix"].split(";"))
        if not domains:
            edition_of = next((o for o in known if name.casefold().startswith(o.name.casefold() + " ")), None)
            domains = (edition_of.domain,) if edition_of and edition_of.domain else ()
        note = f"; {row['in_effect_note']}" if row["in_effect_note"] else ""
        value = f"broadcasting suspended in the EU since {adopted} ({measure}) — listed as {name}{note}"
        first_url = row["source_urls"].split("|")[0].strip()
        source = f"{measure} — {first_url}" if first_url else measure
        outlets.append(ImportedOutlet(name, domains, (OutletFact("sanction", value, source, adopted),)))
    return outlets, 0


_PARSERS: dict[str, Callable[[Path], tuple[list[ImportedOutlet], int]]] = {
    "state-media-matrix": _parse_state_media_matrix,
    "lin2023": _parse_lin2023,
    "wikipedia-perennial": _parse_wikipedia_perennial,
    "eu-bans": _parse_eu_bans,
}


def parse_state_media_matrix(path: Path) -> list[ImportedOutlet]:
    """One outlet per host of ``state_media_matrix.csv``, with typology, kind, country and owner facts."""
    return _parse_state_media_matrix(path)[0]


def parse_lin2023(path: Path) -> list[ImportedOutlet]:
    """One outlet per host of ``lin2023_domain_ratings.csv``, with its quality-score rating facts."""
    return _parse_lin2023(path)[0]


def parse_wikipedia_perennial(path: Path) -> list[ImportedOutlet]:
    """One outlet per entry of the Wikipedia perennial-sources CSV, with its reliability fact."""
    return _parse_wikipedia_perennial(path)[0]


def parse_eu_bans(path: Path) -> list[ImportedOutlet]:
    """One outlet per entity of ``eu_annex_xv_media_bans.csv``, with its EU suspension fact."""
    return _parse_eu_bans(path)[0]


def import_dataset(fmt: str, path: Path, data_dir: Path) -> ImportSummary:
    """Parse a dataset and write it to ``data_dir/outlets/<fmt>.json``, replacing an earlier import.

    Args:
        fmt: one of ``FORMATS``.
        path: the dataset's CSV file.
        data_dir: the newsdesk data directory (``OutletRegistry.load(data_dir)`` reads the result).

    Returns:
        What was written; the same file imported twice writes the same bytes.

    Raises:
        DatasetError: unknown format, or the file is missing or is not that dataset.
    """
    if fmt not in _PARSERS:
        raise DatasetError(f"unknown dataset format {fmt!r}; one of {', '.join(FORMATS)}")
    outlets, skipped = _PARSERS[fmt](path)
    target = data_dir / LOCAL_REGISTRY_DIR / f"{fmt}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps([o.to_json() for o in outlets], ensure_ascii=False, indent=1) + "\n"
    # Write beside the target and rename: os.replace is atomic, so a reader (or a crash) sees the old file
    # or the new one, never half of one. The temp name does not end in .json, so the registry never loads it.
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{fmt}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it owner-only; the bot may run as another user
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return ImportSummary(fmt, path, len(outlets), sum(len(o.facts) for o in outlets), skipped, target)


@dataclass(frozen=True, slots=True)
class CompiledDataset:
    """A dataset compiled into the bundled registry, with the attribution its license or its authors ask for."""

    format: str
    file: str
    title: str
    attribution: str
    license: str
    as_of: str
    license_file: str | None = None


#: The openly licensed datasets of ``shared/data/outlets/`` that ship compiled (``make registry``).
#: Wikipedia's perennial sources are left out on purpose: their text is CC BY-SA 3.0, whose share-alike
#: term would bind the shipped registry, and the 2021 statuses are stale; ``outlets import`` still reads them.
COMPILED = (
    CompiledDataset(
        "eu-bans", "eu_annex_xv_media_bans.csv", "EU broadcasting suspensions (Council Regulation (EU) 833/2014 "
        "Art. 2f and Annex XV, as amended)",
        "Facts of public law, compiled for newsdesk from the public reports cited in each fact's source; "
        "verify against the consolidated text on EUR-Lex before relying on them.",
        "public law; the compilation claims no rights of its own", "checked up to the 16th package, 2025-02-24"),
    CompiledDataset(
        "lin2023", "lin2023_domain_ratings.csv", "Aggregate news-domain quality ratings (Lin et al. 2023)",
        "Lin, H., Lasser, J., Lewandowsky, S., Cole, R., Gully, A., Rand, D. G., & Pennycook, G. (2023). High level "
        "of correspondence across different news domain quality rating sets. PNAS Nexus 2(9), pgad286. "
        "https://doi.org/10.1093/pnasnexus/pgad286 — data: github.com/hauselin/domain-quality-ratings "
        "data/domain_ratings.csv (commit 5671d57e545e48225ef2cbf559a6ab7f8f77a9de)",
        "reuse permitted by the authors (\"Feel free to reuse the data\"), with the citation above", LIN_AS_OF),
    CompiledDataset(
        "state-media-matrix", "state_media_matrix.csv", "State Media Profiles: State Media Matrix",
        "Alliance for Securing Democracy (ASD) at the German Marshall Fund (GMF), "
        "github.com/ASD-at-GMF/state-media-profiles State_Media_Matrix.csv (commit "
        "d878fee1e0aecce9bd63a65ae826df84c6d80e59); Country, Media company, Main assets and Typology from the "
        "State Media Monitor (Media and Journalism Research Center, MJRC), statemediamonitor.com",
        "MIT", SMM_AS_OF, "LICENSE-state_media_matrix-MIT.txt"),
)


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def compile_registry(outlets_dir: Path) -> str:
    """The text of ``ingest/data/registry.json``, built from the datasets in ``outlets_dir``.

    Deterministic: the same input files give the same bytes, so a test can rebuild the shipped file and
    compare. Each dataset keeps its attribution, license (the MIT notice in full) and the SHA-256 of the
    file it was built from; each outlet is one line ``[name, domains, country, kind, facts]``, and each fact
    ``[field, value, i]`` names its ``[source, as_of]`` by index, since 11.5k facts share a few sources.

    Raises:
        DatasetError: a dataset file is missing or is not that dataset.
    """
    parts = []
    for dataset in COMPILED:
        path = outlets_dir / dataset.file
        records = _PARSERS[dataset.format](path)[0]
        sources: dict[tuple[str, str], int] = {}
        rows = [
            [r.name, list(r.domains), r.country, r.kind,
             [[f.field, f.value, sources.setdefault((f.source, f.as_of), len(sources))] for f in r.facts]]
            for r in records
        ]
        meta = {
            "format": dataset.format, "title": dataset.title, "attribution": dataset.attribution,
            "license": dataset.license, "as_of": dataset.as_of, "built_from": dataset.file,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        }
        if dataset.license_file:
            meta["license_text"] = (outlets_dir / dataset.license_file).read_text(encoding="utf-8")
        meta["sources"] = [list(key) for key in sources]
        body = ",\n".join(_compact_json(row) for row in rows)
        parts.append(f"{_compact_json(meta)[:-1]},\"outlets\":[\n{body}\n]}}")
    about = ("newsdesk's compiled outlet registry: built by `make registry` (tools/build_registry.py) from "
             "shared/data/outlets/; do not edit by hand. Every fact carries its source and as-of date.")
    return "{\"about\":" + _compact_json(about) + ",\"datasets\":[\n" + ",\n".join(parts) + "\n]}\n"
