"""Whole-process wall time and peak memory of `newsdesk` commands on the sample collection (#16).

Each command runs as a fresh process, alternating with `python -c pass` in the same run, so the table shows
both the raw median and the median over a bare interpreter start. The samples are ingested into a temporary
data directory first; the load average at the start and the end is recorded, as the machine may be shared.

    .venv/bin/python bench/cli_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402

NEWSDESK = [sys.executable, "-m", "bot.cli"]
QUESTION = "What did the mayor say about the cost of the flood barrier?"
#: (label, arguments, target seconds over a bare start, target peak MB or None)
COMMANDS = [
    ("newsdesk --help", ["--help"], 0.3, None),
    ("newsdesk ask --help", ["ask", "--help"], 0.3, None),
    ("newsdesk ingest --help", ["ingest", "--help"], 0.3, None),
    ("newsdesk sources", ["sources"], 0.6, None),
    (f'newsdesk ask "{QUESTION}"', ["ask", QUESTION], 1.0, 300),
]


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS in MB and CPU seconds (user + system) of one fresh process (from wait4, so the
    child's own). CPU time hardly depends on what else runs on the machine, wall time does."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"bench-cli: {' '.join(argv[3:])} failed: {err.decode(errors='replace')[-500:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="Runs per command (the median is reported).")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NEWSDESK_DATA_DIR": str(Path(tmp) / "data")}
        subprocess.run([*NEWSDESK, "ingest", "samples/", "--quiet"], env=env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        run_once([*NEWSDESK, "ask", QUESTION], env)  # the first ask writes what is not cached yet
        rows = []
        for label, argv, target, target_mb in COMMANDS:
            walls, bare, peaks, cpus = [], [], [], []
            for _ in range(args.runs):
                bare.append(run_once([sys.executable, "-c", "pass"], env)[0])
                wall, peak, cpu = run_once([*NEWSDESK, *argv], env)
                walls.append(wall)
                peaks.append(peak)
                cpus.append(cpu)
            over = statistics.median(walls) - statistics.median(bare)
            ok = over <= target and (target_mb is None or max(peaks) <= target_mb)
            mb_target = f" / ≤ {target_mb} MB" if target_mb else ""
            rows.append(f"| `{label}` | {statistics.median(walls):.2f} | {statistics.median(bare):.2f} | "
                        f"{over:.2f} | {statistics.median(cpus):.2f} | {max(peaks):.0f} | ≤ {target} s{mb_target} | "
                        f"{'yes' if ok else 'NO'} |")
            print(rows[-1], flush=True)
    load_after = os.getloadavg()
    body = "\n".join([
        f"Median of {args.runs} fresh processes each (`python -m bot.cli`, the same code as the `newsdesk` script), "
        "against `python -c pass` run alternately in the same loop; peak RSS is the largest of the runs; CPU is "
        "user + system time, which a busy machine inflates far less than wall time. "
        "Data: the six files in samples/, ingested into a temporary data directory, then one `ask` that writes "
        "the caches every later run reads (search index, collection snapshot, optimized model, merged registry).",
        f"Load average (1, 5, 15 min): {_load(load_before)} at the start, {_load(load_after)} at the end.",
        "",
        "| command | median s | bare python s | over bare s | median CPU s | peak RSS MB | target | met |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
    ])
    write_section("cli-startup", "CLI start-up (#16)", "make bench-cli", body)
    print("wrote the cli-startup section of docs/benchmarks.md")


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
