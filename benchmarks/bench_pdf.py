"""Time ``python -m mcbi pdf`` (the book typeset with Typst) on the built book of this repository.

Usage: ``python benchmarks/bench_pdf.py [--runs N]`` (``make benchmark``). Builds the book
first if it has not been built (not timed), then, for each style, runs the command N times
as ``make pdf`` does after ``make book`` (a new process each time) and prints each run's
wall-clock time, the CPU time of the process and its children, the compile time the command
reports, the page count and the PDF's SHA-256 (the same every run: the build is
deterministic), and the median against the goal (3 s). Writes the report to
``benchmarks/results/pdf.txt``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from _timing import code_version

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results" / "pdf.txt"
GOAL = 3.0
_DONE = re.compile(r"typeset (\d+) pages \((\w+)\) in ([\d.]+) s; SHA-256 ([0-9a-f]{64})")


def mcbi(*args: str) -> tuple[float, float, str]:
    """Run ``python -m mcbi ARGS`` in the repository; return (wall s, CPU s, stdout)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO / "src"), os.environ.get("PYTHONPATH", "")])}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mcbi", *args], cwd=REPO, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        sys.exit(f"`python -m mcbi {' '.join(args)}` failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, cpu, proc.stdout


def main() -> int:
    """Run the benchmark and write its report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per style (default 3)")
    args = parser.parse_args()
    if not (REPO / "_build" / "typst").is_dir():
        mcbi("build")
    rows, totals, ok = [], [], True
    for style in ("journal", "manuscript"):
        digests = set()
        for run in range(1, args.runs + 1):
            seconds, cpu, out = mcbi("pdf", "--style", style)
            done = _DONE.search(out)
            if done is None:
                sys.exit(f"`mcbi pdf` printed no result line:\n{out}")
            digests.add(done.group(4))
            if style == "journal":
                totals.append(seconds)
            rows.append(f"{style:<10} run {run} {seconds:6.2f} s wall, {cpu:5.2f} s CPU "
                        f"(Typst {done.group(3)} s, {done.group(1)} pages) "
                        f"SHA-256 {done.group(4)[:16]}…")
        same = len(digests) == 1
        ok &= same
        rows.append(f"{style:<10} {'identical bytes in every run' if same else 'BYTES DIFFER'}")
    median = statistics.median(totals)
    report = [
        f"date        {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC",
        f"machine     {platform.machine()}, {os.cpu_count()} cpus, Python "
        f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}",
        f"code        {code_version(REPO / 'src' / 'mcbi')}",
        *rows,
        f"median      {median:6.2f} s wall, journal (goal <= {GOAL:.0f} s: "
        f"{'met' if median <= GOAL else 'NOT met'})",
    ]
    text = "\n".join(report) + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text, "utf-8")
    print(text, end="")
    return 0 if median <= GOAL and ok else 1


if __name__ == "__main__":
    sys.exit(main())
