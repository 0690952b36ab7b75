"""Bench scripts refuse to run without their data, instead of writing meaningless numbers into docs/, and the
scale benchmarks (#14) run end to end on a tiny input, so they cannot rot."""

from __future__ import annotations

import gc
import importlib
import json
import sys
from pathlib import Path

import pytest

from bot.service import Newsdesk

ROOT = Path(__file__).resolve().parent.parent


def snapshot(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@pytest.mark.parametrize(
    ("module", "flag", "doc", "message"),
    [
        pytest.param("bench.ingest_speed", "--corpus", "docs/benchmarks.md", "bench-ingest: no corpus at ",
                     id="bench-ingest"),
        pytest.param("bench.ingest_scale", "--corpus", "docs/benchmarks.md", "bench-ingest-scale: no corpus at ",
                     id="bench-ingest-scale"),
        pytest.param("bench.ingest_writes", "--collection", "docs/benchmarks.md",
                     "bench-ingest-writes: no collection in ", id="bench-ingest-writes"),
        pytest.param("bench.growth", "--queries", "docs/benchmarks.md", "bench-growth: no questions at ",
                     id="bench-growth"),
        pytest.param("bench.calibrate_abstention", None, "docs/calibration.md",
                     "calibrate: no query file at ", id="calibrate"),
        pytest.param("bench.crossval_abstention", "--dev", "docs/calibration-crossval.md",
                     "crossval-abstention: no query file at ", id="crossval-abstention"),
    ],
)
def test_missing_data_is_one_line_and_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, flag: str | None, doc: str, message: str
) -> None:
    before = snapshot(ROOT / doc)
    missing = tmp_path / "no-such-folder" / "data.json"
    monkeypatch.setattr(sys, "argv", [module, *([flag] if flag else []), str(missing)])
    with pytest.raises(SystemExit) as caught:
        importlib.import_module(module).main()

    # sys.exit("text") prints the text to stderr and exits with status 1.
    reason = caught.value.code
    assert isinstance(reason, str) and reason.startswith(message), f"exit reason: {reason!r}"
    assert "\n" not in reason and str(missing) in reason, "one line that names the path it looked for"
    assert snapshot(ROOT / doc) == before, f"{doc} must be left as it was"


def run_bench(monkeypatch: pytest.MonkeyPatch, module: str, *args: str | Path) -> None:
    monkeypatch.setattr(sys, "argv", [module, *map(str, args)])
    importlib.import_module(module).main()


def section(report: Path, key: str) -> str:
    text = report.read_text(encoding="utf-8")
    assert f"<!-- {key} -->" in text and f"<!-- /{key} -->" in text, f"the {key} section is missing:\n{text}"
    return text


def test_ingest_scale_reports_ratio_and_peak(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus.json"
    corpus.write_text(json.dumps([
        {"title": f"Council vote {i}", "author": "A. Writer", "source": "Gazette", "category": "news",
         "published_at": f"2026-11-0{i}T10:00:00+00:00", "url": f"https://gazette.example/vote-{i}",
         "body": f"Story {i}. " + "The council voted on the flood barrier after a long debate. " * 40}
        for i in (1, 2, 3)]))
    report = tmp_path / "benchmarks.md"
    run_bench(monkeypatch, "bench.ingest_scale", "--corpus", corpus, "--limit", "2", "--report", report)
    text = section(report, "ingest-scale")
    assert "2 articles" in text and "ingest / raw throughput" in text and "peak RSS of the ingest process" in text
    assert f"--corpus {corpus} --limit 2" in text, "the section names the command that produced it"


@pytest.fixture
def small_collection(desk: Newsdesk) -> Path:
    desk.ingest([ROOT / "samples"])
    return desk.settings.data_dir


def test_ingest_writes_replays_every_variant(small_collection: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.ingest_writes import VARIANTS

    report = tmp_path / "benchmarks.md"
    run_bench(monkeypatch, "bench.ingest_writes", "--collection", small_collection, "--report", report)
    text = section(report, "ingest-writes")
    assert all(f"| {variant.name} | " in text for variant in VARIANTS), text
    assert "chunk upsert" in text and "record upsert" in text and "6 articles" in text, text


def test_growth_table_has_a_row_per_size(small_collection: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps([{"query": "What did the mayor say about the flood barrier?"}]))
    report = tmp_path / "benchmarks.md"
    run_bench(monkeypatch, "bench.growth", "--sizes", "5,40", "--questions", "1", "--queries", queries,
              "--data-dir", small_collection, "--report", report)
    text = section(report, "growth")
    assert "| 5 | " in text and "| 40 | " in text and "×" in text, text


# Once in a full run (#14), a server-side connection of the bench's fake Bot API (aiohttp; the bot subprocess had
# been terminated) was left unclosed and collected in the next test; not reproduced since. Collected here, so such
# a socket is this test's known leak, ignored only here, and not an error in whichever later test the garbage
# collector happens to run in.
@pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <(socket\.socket|function _SelectorTransport\.__del__):"
    "pytest.PytestUnraisableExceptionWarning")
def test_bot_memory_measures_the_bot_process(small_collection: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "benchmarks.md"
    run_bench(monkeypatch, "bench.bot_memory", "--chunks", "30", "--questions", "1", "--data-dir", small_collection,
              "--report", report)
    gc.collect()
    text = section(report, "bot-memory")
    assert "after start-up" in text and "after 1 answers" in text and "Goal: peak" in text, text
    assert (small_collection.parent / "bot-memory-30" / "chroma").is_dir(), "the enlarged copy is made beside it"
