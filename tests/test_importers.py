"""Dataset importers: the real files in shared/data/outlets/ merged into a registry, and exact fact text
from small synthetic files of each format."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.importers import (
    FORMATS,
    LIN_SOURCE,
    SMM_SOURCE,
    WIKI_AS_OF,
    WIKI_SOURCE,
    DatasetError,
    ImportSummary,
    import_dataset,
    parse_eu_bans,
    parse_lin2023,
    parse_state_media_matrix,
    parse_wikipedia_perennial,
)
from ingest.outlets import OutletRegistry, curated_outlets
from ingest.types import Outlet, OutletFact
from tests.conftest import SHARED

DATA = SHARED / "data" / "outlets"
FILES = {
    "state-media-matrix": "state_media_matrix.csv",
    "lin2023": "lin2023_domain_ratings.csv",
    "wikipedia-perennial": "wikipedia_perennial_sources_2021-03-17.csv",
    "eu-bans": "eu_annex_xv_media_bans.csv",
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, ImportSummary], OutletRegistry]:
    """All four real datasets imported once into one data dir (Lin's 11.5k rows are parsed once here)."""
    missing = [name for name in FILES.values() if not (DATA / name).is_file()]
    if missing:
        pytest.skip(f"the outlet datasets are not in {DATA} (missing {missing}; ../shared/ is absent)")
    data_dir = tmp_path_factory.mktemp("data")
    summaries = {fmt: import_dataset(fmt, DATA / FILES[fmt], data_dir) for fmt in FORMATS}
    return data_dir, summaries, OutletRegistry.load(data_dir)


@pytest.fixture(scope="module")
def registry(imported: tuple[Path, dict[str, ImportSummary], OutletRegistry]) -> OutletRegistry:
    return imported[2]


def outlet(registry: OutletRegistry, host: str) -> Outlet:
    found = registry.by_host(host)
    assert found is not None, f"{host} is not in the merged registry"
    return found


def values(found: Outlet, field: str) -> list[str]:
    return [f.value for f in found.facts if f.field == field]


def test_summaries_match_the_documented_row_counts(
    imported: tuple[Path, dict[str, ImportSummary], OutletRegistry],
) -> None:
    data_dir, summaries, _ = imported
    for fmt, summary in summaries.items():
        assert summary.written_to == data_dir / "outlets" / f"{fmt}.json", summary
        assert summary.facts >= summary.outlets > 0, summary
    # 11,520 keys: 46 are section paths (skipped) and www.xinhuanet.com joins xinhuanet.com.
    assert (summaries["lin2023"].outlets, summaries["lin2023"].skipped) == (11_473, 46)
    # 1,157 rows (one of them blank); 83 name no website; 978 distinct hosts before www./case folding.
    assert summaries["state-media-matrix"].skipped == 83
    assert 900 < summaries["state-media-matrix"].outlets <= 978
    # 329 entries; The Canary's only "status" is a scraping artefact.
    assert (summaries["wikipedia-perennial"].outlets, summaries["wikipedia-perennial"].skipped) == (328, 1)
    assert (summaries["eu-bans"].outlets, summaries["eu-bans"].skipped) == (32, 0)


def test_rt_is_russian_state_controlled_media(registry: OutletRegistry) -> None:
    rt = outlet(registry, "rt.com")
    assert (rt.name, rt.country, rt.kind) == ("RT", "Russia", "state-controlled")
    assert any(v.startswith("SC — state-controlled media") for v in values(rt, "typology")), rt.facts


def test_bbc_is_public_media_not_state_controlled(registry: OutletRegistry) -> None:
    bbc = outlet(registry, "bbc.com")
    assert bbc.name == "BBC"
    assert any(v.startswith("IP — independent public media") for v in values(bbc, "typology")), bbc.facts
    assert bbc.kind == "public broadcaster" and "state-controlled" not in values(bbc, "kind"), bbc.facts


def test_voa_is_state_funded_independent(registry: OutletRegistry) -> None:
    voa = outlet(registry, "voanews.com")
    assert voa.kind == "state-funded independent"
    assert OutletFact("kind", "state-funded independent", SMM_SOURCE, "2023-08") in voa.facts


@pytest.mark.parametrize(
    ("host", "score"),
    [pytest.param("rt.com", "0.29", id="rt"), pytest.param("reuters.com", "1.00", id="reuters")],
)
def test_lin_rating_for_the_exact_domain(registry: OutletRegistry, host: str, score: str) -> None:
    ratings = [f for f in outlet(registry, host).facts if f.field == "rating" and f.value.endswith(f" for {host}")]
    assert ratings, outlet(registry, host).facts
    assert ratings[0].value == f"news-quality score {score} on a 0–1 scale for {host}", ratings[0]
    assert (ratings[0].source, ratings[0].as_of) == (LIN_SOURCE, "2023-08")


def test_lin_flags_low_credibility_and_imputed_scores(registry: OutletRegistry) -> None:
    rt, xinhua = outlet(registry, "rt.com"), outlet(registry, "xinhuanet.com")
    assert "flagged as low-credibility on MisinfoMe/Iffy-type lists (rt.com)" in values(rt, "rating")
    # xinhuanet.com has no observed AFM/FC/MBFC/Lasser value (data README); rt.com has three.
    assert any("for xinhuanet.com" in v and v.endswith("imputed: no rater covered this domain")
               for v in values(xinhua, "rating")), xinhua.facts
    assert not any("for rt.com" in v and "imputed" in v for v in values(rt, "rating")), rt.facts


@pytest.mark.parametrize(
    ("host", "status"),
    [pytest.param("rt.com", "deprecated", id="rt"), pytest.param("reuters.com", "generally reliable", id="reuters")],
)
def test_wikipedia_status(registry: OutletRegistry, host: str, status: str) -> None:
    facts = [f for f in outlet(registry, host).facts if f.field == "reliability"]
    assert any(f.value.casefold().startswith(f"wikipedia editors: {status}") for f in facts), facts
    assert all((f.source, f.as_of) == (WIKI_SOURCE, WIKI_AS_OF) for f in facts), facts


@pytest.mark.parametrize("host", [pytest.param("rt.com", id="rt"), pytest.param("sputniknews.com", id="sputnik")])
def test_eu_suspension_since_march_2022(registry: OutletRegistry, host: str) -> None:
    sanctions = [f for f in outlet(registry, host).facts if f.field == "sanction"]
    assert any(f.value.startswith("broadcasting suspended in the EU since 2022-03-01 (") and f.as_of == "2022-03-01"
               for f in sanctions), sanctions


def test_domain_only_in_lin_becomes_an_unclassified_outlet(registry: OutletRegistry) -> None:
    assert OutletRegistry.from_outlets(curated_outlets()).by_host("rollcall.com") is None, "pick an uncurated domain"
    roll_call = outlet(registry, "rollcall.com")
    assert (roll_call.name, roll_call.kind, roll_call.country) == ("rollcall.com", "unknown", None)
    assert [f.field for f in roll_call.facts] == ["rating"], roll_call.facts


def test_conflicting_claims_are_both_kept(registry: OutletRegistry) -> None:
    # Al Jazeera: bundled kind (SMM typology SC, with the labellers who disagree) plus the imported typology.
    aj = outlet(registry, "aljazeera.com")
    bundled_kind = [f for f in aj.facts if f.field == "kind" and f.source.startswith("ASD/GMF State Media Matrix: ")]
    assert bundled_kind and any(v.startswith("SC — ") for v in values(aj, "typology")), aj.facts
    assert any(v.startswith("Wikipedia editors: Generally reliable") for v in values(aj, "reliability")), aj.facts
    # EFE: we curate it as a wire service; the SMM says ISFM. Both kinds stay; the curated one labels it.
    efe = outlet(registry, "efe.com")
    assert {"wire service", "state-funded independent"} <= set(values(efe, "kind")), efe.facts
    assert efe.kind == "wire service"


def test_eu_editions_without_a_domain_attach_to_their_outlet(registry: OutletRegistry) -> None:
    sanctions = values(outlet(registry, "rt.com"), "sanction")
    assert any(v.endswith("listed as RT UK") for v in sanctions), sanctions
    assert any(v.endswith("listed as RT Balkan") for v in sanctions), sanctions


def test_wikipedia_reference_links_do_not_become_outlet_domains(registry: OutletRegistry) -> None:
    # JAMA and Scientific American both list jstor.org and catalog.loc.gov, Amazon lists nasdaq.com, and 19
    # entries list wikidata.org: none of those entries' statuses may land on those hosts.
    for host in ("jstor.org", "catalog.loc.gov", "nasdaq.com"):
        found = registry.by_host(host)
        assert found is None or not values(found, "reliability"), found
    wikidata = values(outlet(registry, "wikidata.org"), "reliability")
    assert len(wikidata) == 2 and all("Wikidata" in v for v in wikidata), wikidata


def test_smm_kind_reaches_outlets_first_seen_in_another_dataset(registry: OutletRegistry) -> None:
    assert outlet(registry, "tsargrad.tv").kind == "state-controlled"  # SMM CaPr; EU-listed 2023-06-23


@pytest.mark.parametrize("fmt", FORMATS)
def test_reimport_writes_the_same_bytes(
    imported: tuple[Path, dict[str, ImportSummary], OutletRegistry], fmt: str,
) -> None:
    data_dir, summaries, _ = imported
    before = summaries[fmt].written_to.read_bytes()
    again = import_dataset(fmt, DATA / FILES[fmt], data_dir)
    assert again == summaries[fmt]
    assert again.written_to.read_bytes() == before
    assert sorted(p.name for p in (data_dir / "outlets").iterdir()) == sorted(f"{f}.json" for f in FORMATS)


# --- Synthetic files: exact fact text -------------------------------------------------------------------

SMM_CSV = """\ufeffRegion,Country,Media company,Main assets,URL,Typology,Status,Notes
Europe,Ruritania,Ruritanian State Broadcasting,RSB One,https://www.RSB.example/news/,SC,,
Europe,Ruritania,Ruritanian State Broadcasting,RSB Radio,rsb.example,ISFM?,,
Europe,Ruritania,Ruritanian State Broadcasting,RSB Archive,,IP,,
Europe,Ruritania,Ruritania Today,NTV,https://ntv.example/,CaPr,,
Asia,Freedonia,Freedonia Media,NTV,https://ntv-fr.example/,IP,,
"""
LIN_CSV = """domain,pc1,afm,fc,mbfc,lewandowsky_mean,misinfome_bin
observed.example,0.293277424671587,0.5967,0.354566156864166,0.4167,0,0
imputed.example,0.691128182520535,0.679063379764557,0.666579723358154,0.51234567891,0.7654321987,1
www.Imputed.example,1,1,1,1,1,1
section.example/en,0.5,0.5,0.5,0.5,0.5,1
"""
WIKI_CSV = '''id,name,status,status_n,wiki_url,urls,urls_n,info
1,Ruritanian Herald (RH),"[""Deprecated"", ""Blacklisted""]",2,w,"[""www.herald.example"", ""jstor.org"", \
""catalog.loc.gov/search?q=herald""]",3,"There is consensus that the Herald fabricates quotes.
Editors also note its owner."
2,Ruritanian Journal,"[""Generally reliable""]",1,w,"[""journal.example/"", ""jstor.org""]",2,""
3,The Canary,"[""Wikipedia:Reliable sources/Noticeboard""]",1,w,"[""thecanary.example""]",1,"x"
4,RT (Russia Today),"[""Deprecated""]",1,w,"[]",0,"RT is deprecated."
5,Long Source,"[""No consensus""]",1,w,"[]",0,"{long} Second sentence."
'''.replace("{long}", "word " * 60 + "end.")
EU_CSV = """entity_as_listed,eu_measure,adopted,in_effect_note,domain_hints_from_state_media_matrix,source_urls
RT UK,Reg. 2022/350,2022-03-01,,,https://a.example/1 | https://b.example/2
Herald TV,11th package,2023-06-23,applied from 2023-07-01,www.herald.example;herald.example,
Nowhere Channel,11th package,2023-06-23,,,
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dataset.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_state_media_matrix_rows_by_host(tmp_path: Path) -> None:
    rsb, ntv, ntv_fr = parse_state_media_matrix(write(tmp_path, SMM_CSV))
    assert (rsb.name, rsb.domains, rsb.country) == ("RSB One", ("rsb.example",), "Ruritania")
    assert rsb.kind == "state-controlled", "the strongest of the host's typologies sets the kind"
    assert rsb.facts == (
        OutletFact("typology", "SC — state-controlled media (the state controls funding, governance and "
                   "editorial line)", SMM_SOURCE, "2023-08"),
        OutletFact("kind", "state-controlled", SMM_SOURCE, "2023-08"),
        OutletFact("country", "Ruritania", SMM_SOURCE, "2023-08"),
        OutletFact("owner", "Ruritanian State Broadcasting", SMM_SOURCE, "2023-08"),
        OutletFact("typology", "ISFM (uncertain) — independent state-funded and state-managed media (state funds and "
                   "governs it; own editorial line)", SMM_SOURCE, "2023-08"),
        OutletFact("kind", "state-funded independent", SMM_SOURCE, "2023-08"),
    )
    # One name in two states: each keeps its country in the name, so the registry cannot join them.
    assert (ntv.name, ntv.kind, ntv_fr.name, ntv_fr.kind) == ("NTV (Ruritania)", "state-controlled",
                                                            "NTV (Freedonia)", "public broadcaster")
    summary = import_dataset("state-media-matrix", tmp_path / "dataset.csv", tmp_path / "data")
    assert (summary.outlets, summary.skipped, summary.facts) == (3, 1, 14)


def test_lin_rows(tmp_path: Path) -> None:
    observed, imputed = parse_lin2023(write(tmp_path, LIN_CSV))
    assert (observed.domains, observed.kind, [f.value for f in observed.facts]) == (("observed.example",), None, [
        "news-quality score 0.29 on a 0–1 scale for observed.example",
        "flagged as low-credibility on MisinfoMe/Iffy-type lists (observed.example)",
    ])
    assert (imputed.name, imputed.domains) == ("imputed.example", ("imputed.example",))
    assert [f.value for f in imputed.facts] == [
        "news-quality score 0.69 on a 0–1 scale for imputed.example; imputed: no rater covered this domain",
        "news-quality score 1.00 on a 0–1 scale for www.imputed.example",
    ]
    # What the score aggregates is said once, in the source, not in each of the 11.5k values.
    assert "aggregate of Ad Fontes Media, MBFC, fact-checker and expert ratings" in LIN_SOURCE
    assert {(f.field, f.source, f.as_of) for f in imputed.facts} == {("rating", LIN_SOURCE, "2023-08")}
    assert import_dataset("lin2023", tmp_path / "dataset.csv", tmp_path / "data").skipped == 1  # section.example/en


def test_wikipedia_rows(tmp_path: Path) -> None:
    herald, journal, rt, long = parse_wikipedia_perennial(write(tmp_path, WIKI_CSV))
    # jstor.org is listed by two sources (a reference link); the catalogue URL is a page, not a site.
    assert (herald.name, herald.domains) == ("Ruritanian Herald (RH)", ("herald.example",))
    assert herald.facts == (OutletFact(
        "reliability", "Wikipedia editors: Deprecated / Blacklisted — There is consensus that the Herald fabricates "
        "quotes.", WIKI_SOURCE, WIKI_AS_OF),)
    assert (journal.domains, journal.facts[0].value) == (("journal.example",), "Wikipedia editors: Generally reliable")
    assert (rt.name, rt.domains) == ("RT", ()), "an entry without urls takes the bundled name, to join it by name"
    assert long.facts[0].value == "Wikipedia editors: No consensus — " + "word " * 39 + "word…", "cut at ~200 chars"


def test_eu_rows(tmp_path: Path) -> None:
    rt_uk, herald, nowhere = parse_eu_bans(write(tmp_path, EU_CSV))
    assert (rt_uk.name, rt_uk.domains) == ("RT UK", ("rt.com",)), "'RT UK' is an edition of the bundled RT"
    assert rt_uk.facts == (OutletFact(
        "sanction", "broadcasting suspended in the EU since 2022-03-01 (Reg. 2022/350) — listed as RT UK",
        "Reg. 2022/350 — https://a.example/1", "2022-03-01"),)
    assert herald.domains == ("herald.example",)
    assert herald.facts[0].value == ("broadcasting suspended in the EU since 2023-06-23 (11th package) — listed as "
                                     "Herald TV; applied from 2023-07-01")
    assert (herald.facts[0].source, nowhere.domains) == ("11th package", ())


# --- Errors ---------------------------------------------------------------------------------------------

LABELS = {"state-media-matrix": "State Media Matrix", "lin2023": "Lin et al. 2023 domain ratings",
          "wikipedia-perennial": "Wikipedia perennial sources", "eu-bans": "EU Annex XV media bans"}


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_header_names_the_file(tmp_path: Path, fmt: str) -> None:
    path = write(tmp_path, "domain,score\nrt.com,0.3\n")
    with pytest.raises(DatasetError) as raised:
        import_dataset(fmt, path, tmp_path / "data")
    assert str(raised.value).startswith(f"{path}: not a {LABELS[fmt]} file: missing columns ["), raised.value
    assert not (tmp_path / "data" / "outlets" / f"{fmt}.json").exists()


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        parse_lin2023(tmp_path / "absent.csv")
    with pytest.raises(DatasetError, match="unknown dataset format 'mbfc'"):
        import_dataset("mbfc", tmp_path / "absent.csv", tmp_path)


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        pytest.param("state-media-matrix", SMM_CSV.replace(",SC,", ",XX,"), "unknown typology 'XX'", id="typology"),
        pytest.param("lin2023", LIN_CSV.replace("0.293277424671587", "n/a"), "not a number", id="score"),
        pytest.param("wikipedia-perennial", WIKI_CSV.replace('"[]"', '"none"'), "must be JSON lists", id="json"),
        pytest.param("eu-bans", EU_CSV.replace("2022-03-01", "March 2022"), "ISO date", id="date"),
    ],
)
def test_bad_values_name_the_line(tmp_path: Path, fmt: str, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DatasetError, match=message) as raised:
        import_dataset(fmt, path, tmp_path / "data")
    assert str(raised.value).startswith(f"{path}:"), raised.value


def test_a_failed_reimport_keeps_the_previous_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = import_dataset("eu-bans", write(tmp_path, EU_CSV), data_dir)
    before = first.written_to.read_bytes()
    with pytest.raises(DatasetError):
        import_dataset("eu-bans", write(tmp_path, EU_CSV.replace("2022-03-01", "soon")), data_dir)
    assert first.written_to.read_bytes() == before
    assert [p.name for p in (data_dir / "outlets").iterdir()] == ["eu-bans.json"], "no temp file left behind"
    rt = OutletRegistry.load(data_dir).by_host("rt.com")
    assert rt is not None and any(v.endswith("listed as RT UK") for v in values(rt, "sanction")), rt
