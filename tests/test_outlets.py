import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.outlets import (
    COMPILED_FILE,
    KIND_PHRASES,
    LOCAL_REGISTRY_DIR,
    ImportedOutlet,
    OutletRegistry,
    RegistryError,
    curated_outlets,
    kind_label,
    load_compiled,
    load_outlets,
    merge_imported,
)
from ingest.types import Outlet, OutletFact, OutletRef
from tests.budget import within
from tests.conftest import ROOT, SHARED


@pytest.fixture(scope="module")
def registry() -> OutletRegistry:
    return OutletRegistry.bundled()


def test_every_fact_has_a_source_and_a_date(registry: OutletRegistry) -> None:
    for outlet in registry.by_name.values():
        assert outlet.kind in KIND_PHRASES, outlet
        assert outlet.source.strip(), outlet.name
        assert re.fullmatch(r"\d{4}(-\d{2}){0,2}", outlet.as_of), (outlet.name, outlet.as_of)
        assert all(f.source.strip() and re.fullmatch(r"\d{4}(-\d{2}){0,2}", f.as_of) for f in outlet.facts), outlet
    # Curated entries always name a domain; a channel Annex XV lists without one is known by its name only.
    assert all(outlet.domains for outlet in curated_outlets()), "a curated outlet without a domain"


def test_every_domain_maps_to_one_outlet() -> None:
    from ingest.outlets import BUNDLED_FILES

    seen: dict[str, str] = {}
    for path in BUNDLED_FILES:
        for outlet in load_outlets(path):
            for domain in outlet.domains:
                assert domain not in seen or seen[domain] == outlet.name, (domain, seen.get(domain), outlet.name)
                seen[domain] = outlet.name


def test_duplicate_domains_are_rejected() -> None:
    one = Outlet("A", ("a.example",), "commercial", None, "s", "2026")
    other = Outlet("B", ("a.example",), "commercial", None, "s", "2026")
    with pytest.raises(RegistryError, match="claimed by A and B"):
        OutletRegistry.from_outlets([one, other])


@pytest.mark.parametrize(
    ("ref", "name"),
    [
        pytest.param(OutletRef("rt.com", "rt.com"), "RT", id="domain"),
        pytest.param(OutletRef("de.rt.com", "de.rt.com"), "RT", id="subdomain"),
        pytest.param(OutletRef("USSANews.com", "ussanews.com"), "USSANews.com", id="aggregator"),
        pytest.param(OutletRef("Reuters"), "Reuters", id="by-name"),
        pytest.param(OutletRef("bbc.co.uk", "bbc.co.uk"), "BBC", id="alias-domain"),
    ],
)
def test_resolve(registry: OutletRegistry, ref: OutletRef, name: str) -> None:
    found = registry.resolve(ref)
    assert found is not None and found.name == name


def test_unknown_outlets_stay_unknown(registry: OutletRegistry) -> None:
    assert registry.resolve(OutletRef("unknown-blog.example", "unknown-blog.example")) is None
    assert registry.resolve(OutletRef("Some Local Weekly")) is None


def test_state_controlled_and_public_media_are_worded_apart(registry: OutletRegistry) -> None:
    rt = registry.resolve(OutletRef("rt.com", "rt.com"))
    bbc = registry.resolve(OutletRef("bbc.com", "bbc.com"))
    assert rt is not None and kind_label(rt) == "state-controlled media, Russia"
    assert bbc is not None and "state-controlled" not in kind_label(bbc)


# --- The compiled public datasets (issue #11, item 6) ------------------------------------------------------------


def test_bundled_registry_knows_the_public_datasets_out_of_the_box(registry: OutletRegistry) -> None:
    # Nothing here reads ../shared: the facts come from ingest/data/registry.json, shipped with the package.
    rt = registry.by_host("rt.com")
    assert rt is not None and rt.kind == "state-controlled"
    assert any(f.field == "typology" and f.value.startswith("SC — ") and f.as_of == "2023-08" for f in rt.facts), rt
    assert any(f.field == "sanction" and "since 2022-03-01" in f.value and "2022/350" in f.source for f in rt.facts)
    # rollcall.com is in no curated entry and in no state-media list: only Lin et al. rate it.
    roll_call = registry.by_host("rollcall.com")
    assert roll_call is not None and roll_call.kind == "unknown", roll_call
    assert [(f.field, f.as_of) for f in roll_call.facts] == [("rating", "2023-08")], roll_call.facts
    assert roll_call.facts[0].value == "news-quality score 0.98 on a 0–1 scale for rollcall.com"
    assert roll_call.facts[0].source.startswith("Lin et al. 2023, PNAS Nexus 2(9) pgad286")
    # A state outlet only the State Media Matrix lists, named by it (Lin alone knew it as "presstv.ir").
    press_tv = registry.by_host("french.presstv.com")
    assert press_tv is not None and (press_tv.name, press_tv.country) == ("Press TV", "Iran"), press_tv
    assert len(registry) > 11_000


def test_compiled_registry_keeps_attribution_license_and_dates() -> None:
    compiled = json.loads(COMPILED_FILE.read_text(encoding="utf-8"))
    assert COMPILED_FILE.stat().st_size < 3_000_000, "keep the shipped registry small"
    assert [d["format"] for d in compiled["datasets"]] == ["eu-bans", "lin2023", "state-media-matrix"]
    for dataset in compiled["datasets"]:
        assert dataset["attribution"] and dataset["license"] and dataset["as_of"], dataset["format"]
        assert all(source and re.fullmatch(r"\d{4}(-\d{2}){0,2}", as_of) for source, as_of in dataset["sources"])
    smm = compiled["datasets"][2]
    assert "MIT" in smm["license"] and "Copyright (c) 2023 ASD-at-GMF" in smm["license_text"]
    assert "pgad286" in compiled["datasets"][1]["attribution"]


def test_build_script_reproduces_the_shipped_file() -> None:
    if not (SHARED / "data" / "outlets" / "state_media_matrix.csv").is_file():
        pytest.skip("../shared/data/outlets/ is absent: nothing to rebuild from")
    built = subprocess.run([sys.executable, str(ROOT / "tools" / "build_registry.py"), "--check"],
                           capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert built.returncode == 0, built.stdout + built.stderr


def test_a_local_import_replaces_its_compiled_dataset(tmp_path: Path) -> None:
    folder = tmp_path / LOCAL_REGISTRY_DIR
    folder.mkdir()
    ban = OutletFact("sanction", "broadcasting suspended in the EU since 2030-01-01 (a future act) — listed as RT",
                     "a future act", "2030-01-01")
    (folder / "eu-bans.json").write_text(json.dumps([ImportedOutlet("RT", ("rt.com",), (ban,)).to_json()]))
    rt = OutletRegistry.load(tmp_path).by_name["rt"]
    assert [f for f in rt.facts if f.field == "sanction"] == [ban], "the compiled EU facts must give way to the import"
    assert any(f.field == "rating" for f in rt.facts), "the other compiled datasets stay"


def test_a_dataset_that_names_an_outlet_replaces_its_bare_domain() -> None:
    rating = OutletFact("rating", "news-quality score 0.50 on a 0–1 scale for x.example", "Lin", "2023-08")
    kind = OutletFact("kind", "state-controlled", "SMM", "2023-08")
    merged = merge_imported([], [ImportedOutlet("x.example", ("x.example",), (rating,)),
                                 ImportedOutlet("X News", ("x.example",), (kind,), "Ruritania", "state-controlled")])
    assert [(o.name, o.kind, o.facts) for o in merged] == [("X News", "state-controlled", (rating, kind))]
    assert OutletRegistry.from_outlets(merged).by_host("x.example").name == "X News"


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                         st.sampled_from(["datasets", "format", "sources", "outlets", "x"]), inner, max_size=4),
                     max_leaves=20)


@pytest.mark.fuzz
@given(document=_JSON)
def test_a_damaged_compiled_file_is_a_registry_error(
    tmp_path_factory: pytest.TempPathFactory, document: object,
) -> None:
    path = tmp_path_factory.mktemp("compiled") / "registry.json"  # a new path each time: the loader caches by path
    path.write_text(json.dumps(document), encoding="utf-8")
    try:
        datasets = within(1.0, load_compiled, path)
    except RegistryError as error:
        assert "make registry" in str(error)
    else:
        assert all(isinstance(name, str) and isinstance(records, tuple) for name, records in datasets)


@pytest.mark.parametrize("row", [
    pytest.param([1, ["a.example"], None, None, []], id="number-name"),
    pytest.param(["A", [None], None, None, []], id="null-domain"),
    pytest.param(["A", ["a.example"], None, None, [["rating", 0.5, 0]]], id="number-value"),
    pytest.param(["A", ["a.example"], None, None, [["rating", "x", 7]]], id="no-such-source"),
])
def test_a_compiled_row_of_the_wrong_shape_is_a_registry_error(tmp_path: Path, row: list) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"datasets": [{"format": "x", "sources": [["s", "2023"]], "outlets": [row]}]}))
    with pytest.raises(RegistryError, match="rebuild it with `make registry`"):
        load_compiled(path)


def test_the_readme_coverage_table_is_measured() -> None:
    expected = SHARED / "data" / "realweb" / "expected.json"
    if not expected.is_file():
        pytest.skip("../shared/data/realweb/ is absent: nothing to measure")
    spec = importlib.util.spec_from_file_location("registry_coverage", ROOT / "tools" / "registry_coverage.py")
    assert spec is not None and spec.loader is not None
    coverage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coverage)
    domains = coverage.outlet_domains(json.loads(expected.read_text(encoding="utf-8")))
    counts = Counter(coverage.standing(OutletRegistry.bundled(), d) for d in domains)
    row = f"| bundled (curated + compiled datasets) | {counts['classified']} | {counts['rated only']} | " \
          f"{counts['unknown']} |"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"Of the {len(domains)} outlet domains" in readme and row in readme, row
