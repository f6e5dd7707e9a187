"""Time ``python -m mcbi pdf`` (the whole book as one PDF) on the built book of this repository.

Usage: ``python benchmarks/bench_pdf.py [--runs N]`` (``make benchmark``). Builds the book
first if it has not been built (not timed), then prints each run's total time, the
singlehtml and printing times the command reports, the page count and the median against
the goal (30 s), and writes them to ``benchmarks/results/pdf.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "pdf.txt"
GOAL = 30.0


def mcbi(*args: str) -> tuple[float, str]:
    """Run ``python -m mcbi ARGS`` in the repository; return (seconds, stdout)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mcbi", *args], cwd=REPO, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"`python -m mcbi {' '.join(args)}` failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def main() -> int:
    """Run the benchmark and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="number of timed runs (default 3)")
    args = parser.parse_args()
    if not (REPO / "_build" / "manifest.json").is_file():
        mcbi("build")
    rows, totals = [], []
    for run in range(1, args.runs + 1):
        seconds, out = mcbi("pdf")
        html = re.search(r"one-page html built in ([\d.]+) s", out)
        printed = re.search(r"printed (\d+) pages in ([\d.]+) s", out)
        totals.append(seconds)
        rows.append(f"run {run}       {seconds:8.1f} s  (singlehtml "
                    f"{html.group(1) if html else '?'} s, print "
                    f"{printed.group(2) if printed else '?'} s, "
                    f"{printed.group(1) if printed else '?'} pages)")
    median = statistics.median(totals)
    report = [
        f"date        {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC",
        f"machine     {platform.machine()}, {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}",
        *rows,
        f"median      {median:8.1f} s  (goal <= {GOAL:.0f} s: "
        f"{'met' if median <= GOAL else 'NOT met'})",
    ]
    text = "\n".join(report) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, "utf-8")
    print(text, end="")
    return 0 if median <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
