"""Start-up of the `newsdesk` CLI (#16): importing it loads none of the heavy libraries, `--help` needs none, and the
caches that `ask` and `sources` start from give what they replace."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.cli.common import DATASET_FORMATS, INGEST_FORMATS, OUTLET_KINDS
from ingest.embedder import MiniLMEmbeddings
from tests.conftest import ROOT

HEAVY = ("chromadb", "onnxruntime", "trafilatura", "feedparser", "telegram", "langchain_openai", "langchain_core",
         "httpx", "numpy", "bm25s", "rich", "pydantic_settings")


def _loaded_after(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter has imported after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import bot.cli.app") == [], "bot.cli.app must import its heavy libraries lazily"


@pytest.mark.parametrize("argv", [
    pytest.param([], id="top"),
    pytest.param(["ask"], id="ask"),
    pytest.param(["ingest"], id="ingest"),
    pytest.param(["eval", "multihop"], id="eval"),
    pytest.param(["outlets", "import"], id="outlets-import"),
    pytest.param(["telegram"], id="telegram"),
])
def test_help_loads_no_heavy_library(argv: list[str]) -> None:
    code = ("import sys\nfrom bot.cli.app import cli\n"
            f"try:\n    cli({[*argv, '--help']!r}, prog_name='newsdesk')\nexcept SystemExit:\n    pass")
    assert _loaded_after(code) == [], f"newsdesk {' '.join(argv)} --help must not import heavy libraries"


def test_listing_sources_does_not_load_the_embedding_model(tmp_path) -> None:
    code = ("import os\n"
            f"os.environ['NEWSDESK_DATA_DIR'] = {str(tmp_path / 'data')!r}\n"
            "from bot.cli.app import cli\n"
            "try:\n    cli(['sources'], prog_name='newsdesk')\nexcept SystemExit:\n    pass\n"
            "import sys\nassert 'chromadb' in sys.modules, 'sources reads the store'")
    loaded = _loaded_after(code)
    assert "onnxruntime" not in loaded, "`newsdesk sources` must not load the embedding model"
    assert "trafilatura" not in loaded and "feedparser" not in loaded, "nor the parsers (via the writer lock)"


def test_option_choices_match_the_modules_they_copy() -> None:
    from ingest.importers import FORMATS as dataset_formats
    from ingest.loaders import FORMATS as ingest_formats
    from ingest.outlets import KIND_PHRASES

    assert ingest_formats == INGEST_FORMATS
    assert dataset_formats == DATASET_FORMATS
    assert tuple(sorted(KIND_PHRASES)) == OUTLET_KINDS


def test_the_service_copy_of_the_model_name_matches_the_embedder() -> None:
    from bot.service import EMBEDDING_MODEL
    from ingest.embedder import MODEL_NAME

    assert EMBEDDING_MODEL == MODEL_NAME


# -- caches that `ask` and `sources` start from ------------------------------------------------------------------

TEXTS = ["What did the mayor say about the cost of the flood barrier?", "Ferry crews walk out",
         "Port Aldren imposes stage 2 water restrictions as heatwave drains reservoirs. " * 20,
         "Sea-grass replanting beats expectations", "Voltaris opens a battery plant", "ü ß 東京 ☃"]


def _vectors(embeddings: MiniLMEmbeddings) -> list[np.ndarray]:
    """One question alone (the query session) and a batch (the batch session)."""
    return [embeddings.embed(TEXTS[:1]), embeddings.embed(TEXTS)]


def test_the_optimized_model_cache_gives_bit_identical_vectors(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    expected = _vectors(embeddings)  # no cache: optimized in memory, as before #16
    cache = tmp_path / "cache"
    first = _vectors(MiniLMEmbeddings(cache_dir=cache))
    models = list(cache.glob("minilm-*.onnx"))
    assert len(models) == 1 and models[0].with_suffix(".sha256").is_file(), sorted(cache.iterdir())
    written = models[0].stat().st_mtime_ns
    second = _vectors(MiniLMEmbeddings(cache_dir=cache))
    assert models[0].stat().st_mtime_ns == written, "the second embedder read the cache instead of writing it"
    for got in (first, second):
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True)), "vectors differ"


def test_a_damaged_model_cache_is_optimized_again(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    cache = tmp_path / "cache"
    MiniLMEmbeddings(cache_dir=cache).embed(TEXTS[:1])
    model = next(cache.glob("minilm-*.onnx"))
    model.write_bytes(model.read_bytes()[:1000])  # truncated: its digest no longer matches
    assert np.array_equal(MiniLMEmbeddings(cache_dir=cache).embed(TEXTS[:1]), embeddings.embed(TEXTS[:1]))
    assert model.stat().st_size > 1000, "the cache was written again"


def test_the_registry_is_read_back_from_its_cache(tmp_path: Path) -> None:
    from ingest.outlets import OutletRegistry

    fresh = OutletRegistry.bundled()
    assert OutletRegistry.load(tmp_path / "data", cache_dir=tmp_path / "a") == fresh
    cached = next((tmp_path / "a").glob("registry-*.json"))
    # The same cache file in another folder (so not this process's memory of it), with one outlet renamed:
    # a registry that shows the new name was read from the file.
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / cached.name).write_text(cached.read_text().replace('"RT"', '"RT (cached)"', 1))
    assert "rt (cached)" in OutletRegistry.load(tmp_path / "data", cache_dir=tmp_path / "b").by_name


def test_a_damaged_registry_cache_is_rebuilt_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from ingest.outlets import OutletRegistry

    OutletRegistry.load(tmp_path / "data", cache_dir=tmp_path / "a")
    cached = next((tmp_path / "a").glob("registry-*.json"))
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / cached.name).write_text(cached.read_text()[:5000])
    with caplog.at_level(logging.WARNING):
        assert OutletRegistry.load(tmp_path / "data", cache_dir=tmp_path / "b") == OutletRegistry.bundled()
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].startswith("the registry cache"), warnings
    assert (tmp_path / "b" / cached.name).read_text() == cached.read_text(), "rewritten whole"
