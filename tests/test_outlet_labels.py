"""Label wording, corroboration, the label card and the `newsdesk outlets` commands."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bot.answering.extractive import answer
from bot.answering.labels import describe, outlet_label, sanction_lines
from bot.answering.outlet_card import card_lines
from bot.cli.app import cli
from bot.cli.render import render_answer
from bot.telegram.chat import PassageView
from bot.telegram.render import passage_reply
from ingest.importers import import_dataset
from ingest.outlets import LOCAL_REGISTRY_DIR, ImportedOutlet, OutletRegistry, curated_outlets, merge_imported
from ingest.types import Outlet, OutletFact, OutletRef, Passage
from tests.budget import within
from tests.conftest import SHARED
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


def test_sanctions_show_only_with_a_source() -> None:
    curated = curated_outlets()  # without the compiled EU list, which has RT's ban
    plain = outlet_label(OutletRef("rt.com", "rt.com"), OutletRegistry.from_outlets(curated))
    assert plain.sanctions == ()
    ban = OutletFact("sanction", "broadcasting suspended in the EU since 2022-03-02 (Council Regulation (EU) 2022/350)",
                     "Council Regulation (EU) 2022/350", "2022-03-02")
    imported = OutletRegistry.from_outlets(merge_imported(curated, [ImportedOutlet("RT", ("rt.com",), (ban,))]))
    label = outlet_label(OutletRef("rt.com", "rt.com"), imported)
    assert label.sanctions == ("EU broadcast ban since 2022-03-02 (Reg. 2022/350)",)
    passage = _passage("a1", "The minister said the talks had failed.", OutletRef("rt.com", "rt.com"))
    text = render_answer(answer("What did the minister say about the talks?", [passage], imported, min_relevance=0.3))
    assert "[1] RT (rt.com) — state-controlled media, Russia · EU broadcast ban since 2022-03-02 (Reg. 2022/350)" \
        in text


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
    before = [f for f in registry.by_name["al jazeera"].facts if f.field == "kind"]
    assert kinds == [*before, other]
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


# --- Labels a reader can read (issue #11, item 7) ----------------------------------------------------------------

EU_HEADER = "entity_as_listed,eu_measure,adopted,in_effect_note,domain_hints_from_state_media_matrix,source_urls\n"
FIRST_ACT = "Council Regulation (EU) 2022/350 amending Reg. 833/2014 (first media suspension)"


def _eu_bans_like_the_real_file(path: Path) -> Path:
    """RT's Annex XV rows as the real file has them: one per channel, five of them under the first act."""
    rows = [f"RT {channel},{FIRST_ACT},2022-03-01,,{hints},https://report.example/{channel}"
            for channel, hints in [("English", "www.rt.com;swentr.site"), ("UK", ""), ("Germany", "de.rt.com"),
                                   ("France", "francais.rt.com"), ("Spanish", "actualidad.rt.com;esrt.press")]]
    rows += ["RT Arabic,10th sanctions package,2023-02-25,Council initiated the suspension process on 2023-02-25,"
             "arabic.rt.com,https://report.example/arabic",
             "RT Balkan,11th sanctions package,2023-06-23,,,https://report.example/balkan"]
    path.write_text(EU_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_source_line_stays_short_after_importing_eu_bans(tmp_path: Path) -> None:
    real = SHARED / "data" / "outlets" / "eu_annex_xv_media_bans.csv"
    dataset = real if real.is_file() else _eu_bans_like_the_real_file(tmp_path / "eu.csv")
    import_dataset("eu-bans", dataset, tmp_path / "data")
    imported = OutletRegistry.load(tmp_path / "data")
    label = outlet_label(OutletRef("rt.com", "rt.com"), imported)
    assert label.sanctions == ("EU broadcast ban since 2022-03-01 (Reg. 2022/350 and later acts)",), label.sanctions
    passage = _passage("a1", "The minister said the talks had failed.", OutletRef("rt.com", "rt.com"),
                       publisher=OutletRef("USSANews.com", "ussanews.com"))
    text = render_answer(answer("What did the minister say about the talks?", [passage], imported, min_relevance=0.3))
    line = next(line for line in text.splitlines() if line.startswith("[1] RT"))
    assert len(line) < 300, line
    assert line == ("[1] RT (rt.com) — state-controlled media, Russia · EU broadcast ban since 2022-03-01 "
                    "(Reg. 2022/350 and later acts) · republished by USSANews.com — \"Story a1\""), line


def _card_values(lines: list[str]) -> dict[str, list[str]]:
    """Section heading → the claims under it, each without its sources (the text before the first " — ")."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for line in lines[2:]:
        if line.startswith("    - "):
            sections.setdefault(heading, []).append(line[6:].split(" — ")[0])
        elif line.endswith(":"):
            heading = line.strip()
    return sections


def test_outlets_show_rt_has_no_duplicate_lines(cli_env: dict[str, str], tmp_path: Path) -> None:
    import_dataset("eu-bans", _eu_bans_like_the_real_file(tmp_path / "eu.csv"), Path(cli_env["NEWSDESK_DATA_DIR"]))
    shown = CliRunner().invoke(cli, ["outlets", "show", "rt.com"], env=cli_env)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert len(lines) == len(set(lines)), shown.stdout
    sections = _card_values(lines)
    for heading, claims in sections.items():
        assert len(claims) == len(set(claims)), (heading, claims)
    assert sections["kind:"] == ["state-controlled media"] and sections["country:"] == ["Russia"], sections
    # Five channels under the first act are one line; the mirrors' ratings share one line after rt.com's own.
    assert len(sections["sanctions:"]) == 3, sections["sanctions:"]
    assert "listed as RT English, RT UK, RT Germany, RT France, RT Spanish" in shown.stdout
    ratings = [line for line in lines if "news-quality score" in line or "other domains" in line]
    assert len(ratings) == 2 and "for rt.com" in ratings[0] and "other domains of this outlet: " in ratings[1], ratings
    also_at = next(line for line in lines if line.startswith("  also at: "))
    assert also_at.index("de.rt.com") < also_at.index("swentr.site"), "the outlet's own domains before its mirrors"


def test_card_puts_the_outlets_own_domains_before_mirrors_and_merges_equal_claims() -> None:
    lin = "Lin et al. 2023"
    outlet = Outlet(
        "Example News", ("example.com", "mirror.example", "live.example.com"), "state-controlled", "Ruritania",
        "SMM", "2023-08", facts=(
            OutletFact("country", "Ruritania", "curated", "2024"), OutletFact("country", "Ruritania", "SMM", "2023-08"),
            OutletFact("rating", "news-quality score 0.40 on a 0–1 scale for mirror.example", lin, "2023-08"),
            OutletFact("rating", "news-quality score 0.30 on a 0–1 scale for example.com", lin, "2023-08"),
        ))
    lines = card_lines(outlet)
    assert "  also at: live.example.com, mirror.example" in lines, lines
    assert "    - Ruritania — curated (as of 2024); SMM (as of 2023-08)" in lines, lines
    ratings = lines[lines.index("  ratings:") + 1:]
    assert ratings == ["    - news-quality score 0.30 on a 0–1 scale for example.com — Lin et al. 2023 (as of 2023-08)",
                       "    - other domains of this outlet: mirror.example 0.40 — Lin et al. 2023 (as of 2023-08)"]


@pytest.mark.parametrize(
    ("ref", "wording"),
    [
        pytest.param(OutletRef("Roll Call", "rollcall.com"),
                     "Roll Call (rollcall.com) — outlet type not classified; news-quality score 0.98/1 for "
                     "rollcall.com (Lin et al. 2023, as of 2023-08)", id="rated-only"),
        pytest.param(OutletRef("rollcall.com", "rollcall.com"),
                     "rollcall.com — outlet type not classified; news-quality score 0.98/1 for rollcall.com "
                     "(Lin et al. 2023, as of 2023-08)", id="rated-no-name"),
        pytest.param(OutletRef("RollCall.com", "rollcall.com"),
                     "RollCall.com (rollcall.com) — outlet type not classified; news-quality score 0.98/1 for "
                     "rollcall.com (Lin et al. 2023, as of 2023-08)", id="rated-named-like-its-host"),
        pytest.param(OutletRef("The Weekly Ledger", "weeklyledger.example"),
                     "The Weekly Ledger (weeklyledger.example) — outlet not in the registry, type not classified",
                     id="unknown"),
    ],
)
def test_an_unclassified_outlet_keeps_its_own_name_and_its_rating(
    registry: OutletRegistry, ref: OutletRef, wording: str,
) -> None:
    assert describe(outlet_label(ref, registry)) == wording


def test_a_long_title_is_cut_so_the_source_line_stays_short(registry: OutletRegistry) -> None:
    passage = replace(_passage("a1", "The minister said the talks had failed.", OutletRef("rt.com", "rt.com")),
                      title="Talks " * 80)
    text = render_answer(answer("What did the minister say about the talks?", [passage], registry, min_relevance=0.3))
    line = next(line for line in text.splitlines() if line.startswith("[1] RT"))
    assert len(line) < 300 and line.endswith('…"'), line
    assert "EU broadcast ban since 2022-03-01" in line, "the flags are never cut"


def test_the_telegram_passage_button_shows_the_full_card(registry: OutletRegistry) -> None:
    passage = _passage("a1", "The minister said the talks had failed.", OutletRef("rt.com", "rt.com"))
    citation = answer("What did the minister say about the talks?", [passage], registry, min_relevance=0.3).citations[0]
    shown = "".join(passage_reply(PassageView(citation, "", ""), registry.by_name["rt"]).messages)
    assert "EU broadcast ban since 2022-03-01 (Reg. 2022/350 and later acts)" in shown, "the short flag first"
    assert "listed as RT English, RT UK, RT Germany, RT France, RT Spanish" in shown, "then every act of the card"
    assert "news-quality score 0.29 on a 0–1 scale for rt.com" in shown


# --- Property tests: any mix of facts gives short, duplicate-free labels ----------------------------------------

_DATES = st.dates(min_value=date(2014, 1, 1), max_value=date(2030, 12, 31)).map(date.isoformat)
_ACTS = st.sampled_from([FIRST_ACT, "6th sanctions package", "Council Regulation (EU) 2024/1428", "x — y", "—"])
_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@st.composite
def _eu_facts(draw: st.DrawFn) -> list[OutletFact]:
    facts = []
    for _ in range(draw(st.integers(0, 30))):
        adopted, act = draw(_DATES), draw(_ACTS)
        value = f"broadcasting suspended in the EU since {adopted} ({act}) — listed as {draw(_TEXT)}"
        facts.append(OutletFact("sanction", value, f"{act} — https://report.example/{draw(_TEXT)}", adopted))
    return facts


@pytest.mark.fuzz
@given(facts=_eu_facts())
def test_any_number_of_eu_acts_is_one_short_clause(facts: list[OutletFact]) -> None:
    lines = within(1.0, sanction_lines, facts)
    if not facts:
        assert lines == ()
        return
    [line] = lines
    first = min(f.as_of for f in facts)
    assert line.startswith(f"EU broadcast ban since {first} (") and len(line) <= 120, line


@pytest.mark.fuzz
@given(facts=st.lists(st.builds(OutletFact, st.sampled_from(["kind", "country", "owner", "rating", "sanction",
                                                             "reliability", "typology"]),
                                _TEXT, st.sampled_from(["A", "B", "A — u"]), st.sampled_from(["2023", "2024-01"])),
                      max_size=30),
       domains=st.lists(st.sampled_from(["a.example", "m.a.example", "mirror.example", "x.test"]), max_size=4,
                        unique=True))
def test_any_card_has_each_claim_once_per_section(facts: list[OutletFact], domains: list[str]) -> None:
    outlet = Outlet("Example", tuple(domains), "commercial", None, "A", "2023", facts=tuple(facts))
    lines = within(1.0, card_lines, outlet)
    claims = [(heading, line) for heading, line in _with_headings(lines) if line.startswith("    - ")]
    assert len(claims) == len(set(claims)), lines


def _with_headings(lines: list[str]) -> list[tuple[str, str]]:
    heading, out = "", []
    for line in lines:
        heading = line if line.startswith("  ") and line.endswith(":") and not line.startswith("    ") else heading
        out.append((heading, line))
    return out
