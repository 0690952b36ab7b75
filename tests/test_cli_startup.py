"""Start-up of the `newsdesk` CLI (#16): importing it loads none of the heavy libraries, `--help` needs none, and the
caches that `ask` and `sources` start from give what they replace."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
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


#: What `newsdesk ask` answers without once its caches are written (#16), besides chromadb (tests/test_snapshot.py):
#: LangChain (the embedder is plain), bm25s with scipy, tqdm and requests (``ingest.bm25_scores`` reads the saved
#: index), and PyYAML (the registry is read from its cache).
ASK_NEVER_IMPORTS = ("langchain_core", "langchain", "langchain_text_splitters", "scipy", "requests", "tqdm", "bm25s",
                     "yaml", "chromadb")


def test_asking_from_the_caches_imports_neither_langchain_nor_bm25s_nor_their_libraries(
        cli_env: dict[str, str]) -> None:
    from click.testing import CliRunner

    from bot.cli.app import cli
    from tests.test_snapshot import _WITHOUT, QUESTIONS, SAMPLES

    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", "--quiet", str(SAMPLES)], env=cli_env).exit_code == 0
    expected = runner.invoke(cli, ["ask", QUESTIONS[0]], env=cli_env, catch_exceptions=False).stdout
    assert "Mayor Helena Vasquez-Reid" in expected
    done = subprocess.run([sys.executable, "-c", _WITHOUT, ",".join(ASK_NEVER_IMPORTS), "ask", QUESTIONS[0]],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **cli_env})
    assert done.returncode == 0, f"`newsdesk ask` imported one of {ASK_NEVER_IMPORTS}: {done.stderr[-2000:]}"
    assert done.stdout == expected


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


def _cache_folder(cache: Path) -> Path:
    folders = list(cache.glob("minilm-*"))
    assert len(folders) == 1 and folders[0].is_dir(), sorted(cache.iterdir())
    return folders[0]


def test_the_optimized_model_cache_gives_bit_identical_vectors(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    expected = _vectors(embeddings)  # no cache: optimized in memory, as before #16
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "minilm-8199be6f699a395f-ort1.0-x86_64.onnx").write_bytes(b"an older layout's cache")
    first = _vectors(MiniLMEmbeddings(cache_dir=cache))
    folder = _cache_folder(cache)  # the older file is gone
    # The weights apart from the graph: onnxruntime maps them instead of parsing 90 MB of protobuf (#16).
    assert sorted(p.name for p in folder.iterdir()) == ["model.data", "model.onnx", "stamp.json"]
    assert (folder / "model.data").stat().st_size > 50_000_000 > (folder / "model.onnx").stat().st_size
    written = (folder / "stamp.json").stat().st_mtime_ns
    second = _vectors(MiniLMEmbeddings(cache_dir=cache))
    assert (folder / "stamp.json").stat().st_mtime_ns == written, "the second embedder read the cache, not wrote it"
    for got in (first, second):
        assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True)), "vectors differ"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:1000])


def _flip_last_byte(path: Path) -> None:
    """The same size, one byte changed (and so a new modification time)."""
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def _touch(path: Path) -> None:
    """The same bytes, a later modification time."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


@pytest.mark.parametrize("name", ["model.data", "model.onnx"])
@pytest.mark.parametrize("change", [pytest.param(_truncate, id="truncated"),
                                    pytest.param(_flip_last_byte, id="same-size"),
                                    pytest.param(_touch, id="touched")])
def test_a_changed_model_cache_is_optimized_again(tmp_path: Path, embeddings: MiniLMEmbeddings,
                                                  name: str, change: Callable[[Path], None]) -> None:
    cache = tmp_path / "cache"
    MiniLMEmbeddings(cache_dir=cache).embed(TEXTS[:1])
    folder = _cache_folder(cache)
    written = (folder / "stamp.json").read_text()
    change(folder / name)
    assert np.array_equal(MiniLMEmbeddings(cache_dir=cache).embed(TEXTS[:1]), embeddings.embed(TEXTS[:1]))
    assert (_cache_folder(cache) / "stamp.json").read_text() != written, "the cache was written again"


def test_a_changed_source_model_is_refused_though_a_cache_exists(tmp_path: Path) -> None:
    from ingest.embedder import EmbedderIntegrityError, _model_path

    model = tmp_path / "model.onnx"
    shutil.copy2(_model_path(), model)
    cache = tmp_path / "cache"
    MiniLMEmbeddings(cache_dir=cache, model_path=model).embed(TEXTS[:1])
    MiniLMEmbeddings(cache_dir=cache, model_path=model)  # vouched for by the cache's stamp, not hashed
    _flip_last_byte(model)
    with pytest.raises(EmbedderIntegrityError, match="sha256"):
        MiniLMEmbeddings(cache_dir=cache, model_path=model)


def test_a_touched_source_model_is_hashed_again_and_the_cache_rewritten(tmp_path: Path) -> None:
    from ingest.embedder import _model_path

    model = tmp_path / "model.onnx"
    shutil.copy2(_model_path(), model)
    cache = tmp_path / "cache"
    expected = MiniLMEmbeddings(cache_dir=cache, model_path=model).embed(TEXTS[:1])
    written = json.loads((_cache_folder(cache) / "stamp.json").read_text())
    _touch(model)
    assert np.array_equal(MiniLMEmbeddings(cache_dir=cache, model_path=model).embed(TEXTS[:1]), expected)
    stamp = json.loads((_cache_folder(cache) / "stamp.json").read_text())
    assert stamp["source"]["stat"] == [model.stat().st_size, model.stat().st_mtime_ns] != written["source"]["stat"]


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


def test_a_changed_imported_dataset_is_noticed_by_the_registry_cache(tmp_path: Path) -> None:
    from ingest.outlets import LOCAL_REGISTRY_DIR, OutletRegistry

    dataset = tmp_path / "data" / LOCAL_REGISTRY_DIR / "newsdesk-test.json"
    dataset.parent.mkdir(parents=True)

    def imported(name: str) -> None:
        fact = {"field": "rating", "value": "mixed", "source": "a test list", "as_of": "2026-11"}
        dataset.write_text(json.dumps([{"name": name, "domains": ["changed-registry.example"], "facts": [fact]}]))

    imported("Before the change")
    assert "before the change" in OutletRegistry.load(tmp_path / "data", cache_dir=tmp_path / "cache").by_name
    imported("After the change")  # the same size: the cache key is the files' content, not their stat
    registry = OutletRegistry.load(tmp_path / "data", cache_dir=tmp_path / "cache")
    assert "after the change" in registry.by_name and "before the change" not in registry.by_name
    assert len(list((tmp_path / "cache").glob("registry-*.json"))) == 1, "the stale cache was removed"
