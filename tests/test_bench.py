"""Bench scripts refuse to run without their data, instead of writing meaningless numbers into docs/."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def snapshot(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


@pytest.mark.parametrize(
    ("module", "flag", "doc", "message"),
    [
        pytest.param("bench.ingest_speed", "--corpus", "docs/benchmarks.md", "bench-ingest: no corpus at ",
                     id="bench-ingest"),
        pytest.param("bench.calibrate_abstention", None, "docs/calibration.md",
                     "calibrate: no query file at ", id="calibrate"),
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
