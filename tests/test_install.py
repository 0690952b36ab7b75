"""Installs cannot drift: a fresh venv with Python's bundled pip installs the pinned versions and can ingest.

Python 3.11's bundled pip (23.2) ignored lxml's `html-clean` extra, so `import trafilatura` failed in every
fresh venv while `make` (which then upgraded pip first) hid it. This is slow (a full install from the package
index: minutes) and needs the index, like `make install`: `make test-install` runs it, `make test` does not.
"""

from __future__ import annotations

import ensurepip
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"


def pinned(lines: str) -> dict[str, str]:
    """``name==version`` lines as {normalised name: version}; comments and other lines are skipped."""
    found = {}
    for line in lines.splitlines():
        if match := re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip()):
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def test_constraints_pin_every_direct_dependency() -> None:
    """Fast guard (runs in `make test`): a dependency added to pyproject.toml without `make lock` fails here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["dev"]
    names = {re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", r)[0]).lower() for r in requirements}
    missing = sorted(names - set(pinned(CONSTRAINTS.read_text())))
    assert missing == [], f"not pinned in constraints.txt (run `make lock`): {missing}"
    assert "lxml-html-clean" in names, "trafilatura needs lxml.html.clean: it must be a direct dependency"


@pytest.mark.slow
def test_fresh_venv_with_bundled_pip_installs_pinned_versions(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = str(venv / "bin" / "python")

    def run(*args: str) -> str:
        done = subprocess.run([python, *args], cwd=ROOT, capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, f"{' '.join(args[:4])} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    assert f"pip {ensurepip.version()} " in run("-m", "pip", "--version"), "the venv's own pip, not upgraded"
    run("-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), "-e", ".[dev]")
    run("-c", "import trafilatura, lxml.html.clean, ingest.html, ingest.pipeline, bot.service")
    run("-m", "pip", "check")
    installed = pinned(run("-m", "pip", "freeze", "--exclude-editable"))
    expected = pinned(CONSTRAINTS.read_text())
    assert installed == expected, (
        f"differs from constraints.txt: {sorted(set(installed.items()) ^ set(expected.items()))}"
    )
