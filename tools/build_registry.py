"""Build ``ingest/data/registry.json``, the bundled registry's compiled public datasets (``make registry``).

Usage: ``python tools/build_registry.py [OUTLETS_DIR] [--check]``. OUTLETS_DIR defaults to
``../shared/data/outlets``. ``--check`` writes nothing and exits 1 when the shipped file differs from a rebuild.
Only the compiled file ships; the dataset files themselves are never copied into the package.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ingest.importers import DatasetError, compile_registry
from ingest.outlets import COMPILED_FILE

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--check"]
    outlets_dir = Path(args[0]) if args else ROOT.parent / "shared" / "data" / "outlets"
    try:
        text = compile_registry(outlets_dir)
    except DatasetError as error:
        print(f"build_registry: {error}", file=sys.stderr)
        return 1
    if "--check" in argv:
        same = COMPILED_FILE.is_file() and COMPILED_FILE.read_text(encoding="utf-8") == text
        print(f"{COMPILED_FILE}: {'up to date' if same else 'differs from a rebuild; run `make registry`'}")
        return 0 if same else 1
    COMPILED_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {COMPILED_FILE} ({len(text.encode()):,} bytes) from {outlets_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
