"""Label wording, corroboration, the label card and the `newsdesk outlets` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.answering.extractive import answer
from bot.answering.labels import describe, outlet_label
from bot.answering.outlet_card import card_lines
from bot.cli.app import cli
from bot.cli.render import render_answer
from ingest.outlets import LOCAL_REGISTRY_DIR, ImportedOutlet, OutletRegistry, merge_imported
from ingest.types import OutletFact, OutletRef, Passage
from tests.local_http import LocalHTTPServer

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def registry() -> OutletRegistry:
    return OutletRegistry.bundled()


@pytest.mark.parametrize(
    ("domain", "wording"),
    [
        pytest.param("rt.com", "RT (rt.com) — state-controlled media, Russia", id="rt"),
        pytest.param("xinhuanet.com", "Xinhua (xinhuanet.com) — state-controlled media, China", id="xinhua"),
        pytest.param("bbc.co.uk", "BBC (bbc.co.uk) — public broadcaster, United Kingdom", id="bbc"),
        pytest.param("npr.org", "NPR (npr.org) — public broadcaster, United States", id="npr"),
        pytest.param("voanews.com",
                     "Voice of America (voanews.com) — state-funded, editorially independent, United States", id="voa"),
        pytest.param("reuters.com", "Reuters (reuters.com) — wire service, United Kingdom", id="reuters"),
    ],
)
def test_label_wording(registry: OutletRegistry, domain: str, wording: str) -> None:
    assert describe(outlet_label(OutletRef(domain, domain), registry)) == wording


def test_publicly_funded_independent_media_are_never_called_state_controlled(registry: OutletRegistry) -> None:
    for name in ("BBC", "NPR", "PBS", "Voice of America", "Deutsche Welle", "CBC", "ABC (Australia)"):
        outlet = registry.by_name.get(name.casefold())
        assert outlet is not None, name
        assert outlet.kind != "state-controlled", name


def _passage(article_id: str, text: str, original: OutletRef, publisher: OutletRef | None = None) -> Passage:
    return Passage(chunk_id=f"c-{article_id}", article_id=article_id, text=text, start=0, end=len(text),
                   title=f"Story {article_id}", url=None, published_at=None, publisher=publisher or original,
                   original=original, score=0.6)


def test_corroboration_counts_independent_outlets_by_kind(registry: OutletRegistry) -> None:
    passages = [
        _passage("a1", "The barrier vote passed seven to six on Tuesday.", OutletRef("reuters.com", "reuters.com")),
        _passage("a2", "The barrier vote passed narrowly on Tuesday night.", OutletRef("bbc.com", "bbc.com")),
        # A copy republished by an aggregator is credited to the original and counts once.
        _passage("a3", "The barrier vote passed seven to six, officials said.", OutletRef("reuters.com", "reuters.com"),
                 publisher=OutletRef("news.yahoo.com", "news.yahoo.com")),
    ]
    result = answer("How did the barrier vote go?", passages, registry, min_relevance=0.3)
    assert result.corroboration is not None
    assert result.corroboration.outlets == 2
    assert result.corroboration.by_kind == {"wire service": 1, "public broadcaster": 1}
    assert result.corroboration.warning is None
    assert "Backed by 2 independent outlets: 1 wire service, 1 public broadcaster." in render_answer(result)


@pytest.mark.parametrize(
    ("domains", "warning"),
    [
        pytest.param(["rt.com", "tass.com"], "All cited passages come from state-controlled media.", id="state"),
        pytest.param(["bbc.com"], "All cited passages come from a single outlet (BBC).", id="single"),
    ],
)
def test_one_sided_answers_are_flagged(registry: OutletRegistry, domains: list[str], warning: str) -> None:
    passages = [_passage(f"a{i}", f"The ministers met on Tuesday in the capital, number {i}.", OutletRef(d, d))
                for i, d in enumerate(domains)]
    result = answer("When did the ministers meet?", passages, registry, min_relevance=0.3)
    assert result.corroboration is not None and result.corroboration.warning == warning
    assert f"Note: {warning}" in render_answer(result)


def test_sanctions_show_only_with_a_source(registry: OutletRegistry) -> None:
    plain = outlet_label(OutletRef("rt.com", "rt.com"), registry)
    assert plain.sanctions == ()
    ban = OutletFact("sanction", "broadcasting suspended in the EU since 2022-03-02",
                     "Council Regulation (EU) 2022/350", "2022-03-02")
    imported = OutletRegistry.from_outlets(
        merge_imported(
            list(registry.by_name.values()), [ImportedOutlet("RT", ("rt.com",), (ban,))]))
    label = outlet_label(OutletRef("rt.com", "rt.com"), imported)
    assert label.sanctions == ("broadcasting suspended in the EU since 2022-03-02 — Council Regulation (EU) 2022/350",)
    passage = _passage("a1", "The minister said the talks had failed.", OutletRef("rt.com", "rt.com"))
    text = render_answer(answer("What did the minister say about the talks?", [passage], imported, min_relevance=0.3))
    assert ("[1] RT (rt.com) — state-controlled media, Russia · broadcasting suspended in the EU since 2022-03-02 "
            "— Council Regulation (EU) 2022/350") in text


def test_card_lists_every_fact_with_source_and_date(registry: OutletRegistry) -> None:
    rt = registry.by_name["rt"]
    lines = card_lines(rt)
    assert lines[0] == "RT (rt.com)" and lines[1] == "  state-controlled media, Russia"
    assert any("ANO TV-Novosti — " in line and "(as of 2023-08)" in line for line in lines)


def test_conflicting_claims_are_both_kept(registry: OutletRegistry) -> None:
    other = OutletFact("kind", "public broadcaster", "A hypothetical rater", "2026-01")
    merged = OutletRegistry.from_outlets(
        merge_imported(
            list(registry.by_name.values()), [ImportedOutlet("Al Jazeera", ("aljazeera.com",), (other,))]))
    outlet = merged.by_name["al jazeera"]
    kinds = [f for f in outlet.facts if f.field == "kind"]
    assert len(kinds) == 2 and other in kinds
    assert outlet.kind == registry.by_name["al jazeera"].kind, "the curated kind stays the one shown"


def test_outlets_show_and_unknown(cli_env: dict[str, str]) -> None:
    shown = CliRunner().invoke(cli, ["outlets", "show", "https://de.rt.com/x"], env=cli_env)
    assert shown.exit_code == 0 and shown.stdout.startswith("RT (rt.com)\n  state-controlled media, Russia\n")
    card = json.loads(CliRunner().invoke(cli, ["outlets", "show", "The Verge", "--json"], env=cli_env).stdout)
    assert card["name"] == "The Verge" and card["kind"] == "commercial" and card["facts"]
    missing = CliRunner().invoke(cli, ["outlets", "show", "nowhere.example"], env=cli_env)
    assert missing.exit_code == 1 and "no outlet 'nowhere.example' in the registry" in missing.output


def test_outlets_detect_contract_on_the_seed(cli_env: dict[str, str], seed: Path) -> None:
    result = CliRunner().invoke(cli, ["outlets", "detect", str(seed), "--json"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "publisher": {"name": "USSANews.com", "domain": "ussanews.com"},
        "original": {"name": "RT", "domain": "rt.com", "kind": "state-controlled", "country": "Russia"},
        "evidence": [
            {"rule": "courtesy-copyright-footer",
             "text": "courtesy of, and owned and copyrighted by, https://www.rt.com"},
            {"rule": "footer-contact", "text": "please contact USSANews.com"},
        ],
    }


def test_outlets_detect_a_url_without_ingesting(cli_env: dict[str, str], http_server: LocalHTTPServer) -> None:
    http_server.add("/news/barrier", (DATA / "radio-barrier-syndicated.html").read_bytes())
    result = CliRunner().invoke(cli, ["outlets", "detect", http_server.url("/news/barrier"), "--json"],
                                env=cli_env | {"NEWSDESK_FETCH_ALLOW_PRIVATE": "true"})
    found = json.loads(result.stdout)
    assert found["original"]["name"] == "Northwind Public Radio"
    assert found["publisher"] == {"name": "Valley Daily Digest", "domain": "127.0.0.1"}
    assert found["evidence"][0]["rule"] == "html-canonical-link"
    assert not (Path(cli_env["NEWSDESK_DATA_DIR"]) / "chroma").exists(), "detect must not ingest"


def test_unknown_outlet_stays_unknown(cli_env: dict[str, str], tmp_path: Path) -> None:
    page = tmp_path / "note.txt"
    page.write_text("Council notes\nThe council met on Tuesday and approved the minutes.\n")
    found = json.loads(CliRunner().invoke(cli, ["outlets", "detect", str(page), "--json"], env=cli_env).stdout)
    assert found == {"publisher": None, "original": None, "evidence": []}


def test_local_registry_directory_is_read(tmp_path: Path) -> None:
    folder = tmp_path / LOCAL_REGISTRY_DIR
    folder.mkdir()
    fact = OutletFact("rating", "news-quality score 0.29 on a 0–1 scale", "Lin et al. 2023", "2023-08")
    (folder / "lin2023.json").write_text(json.dumps([ImportedOutlet("rt.com", ("rt.com",), (fact,)).to_json()]))
    assert fact in OutletRegistry.load(tmp_path).by_name["rt"].facts
