import re

import pytest

from ingest.outlets import KIND_PHRASES, OutletRegistry, RegistryError, kind_label, load_outlets
from ingest.types import Outlet, OutletRef


@pytest.fixture(scope="module")
def registry() -> OutletRegistry:
    return OutletRegistry.bundled()


def test_every_fact_has_a_source_and_a_date(registry: OutletRegistry) -> None:
    for outlet in registry.by_name.values():
        assert outlet.kind in KIND_PHRASES, outlet
        assert outlet.source.strip(), outlet.name
        assert re.fullmatch(r"\d{4}(-\d{2}){0,2}", outlet.as_of), (outlet.name, outlet.as_of)
        assert outlet.domains, outlet.name


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
