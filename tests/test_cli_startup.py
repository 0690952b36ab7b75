"""Start-up of the `newsdesk` CLI (#16): importing it loads none of the heavy libraries, and `--help` needs none."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.cli.common import DATASET_FORMATS, INGEST_FORMATS, OUTLET_KINDS
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
