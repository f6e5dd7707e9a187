"""CPU time of the chapter "Sensitivity analyses" (``notebooks/08_sensitivity.ipynb``).

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_sensitivity.py [--out FILE]

On the shipped data ``data/trial`` with the notebook's default parameters (20 imputations,
7 shifts, Kenward-Roger), prints

- the CPU seconds of each part of the chapter, called in this process (imports and the data
  load excluded): the primary fits, the three tests, ML, the ladder's structures, the
  complete cases and the tipping-point analysis;
- the CPU seconds of executing the whole notebook with papermill as the build does (the
  data hash given, so the package is not validated again): papermill, the kernel and
  everything the notebook does -- goal <= 15 s.

With ``--out`` the report is appended to that file (``benchmarks/results/sensitivity.txt``).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import code_version

from mcbi.paper.sensitivity import analyses, fits, tipping
from mcbi.trial.content import content_hash
from mcbi.trial.data import load

ROOT = Path(__file__).resolve().parents[1]
GOAL = 15.0


def parts() -> list[tuple[str, float]]:
    """CPU seconds of each part of the chapter, in order."""
    trial = load(ROOT / "data" / "trial")
    out = []

    def timed(name, call):
        start = time.process_time()
        value = call()
        out.append((name, time.process_time() - start))
        return value

    primaries = timed("primary fits (REML)", lambda: analyses.primary_fits(fits.targets(trial)))
    timed("z, Satterthwaite, Kenward-Roger", lambda: analyses.tests(primaries, 0.05))
    timed("ML refits", lambda: analyses.estimators(primaries, 0.05))
    timed("ladder structures", lambda: analyses.structures(primaries, 0.05, "kenward-roger"))
    timed("complete cases", lambda: analyses.complete_cases(primaries, 0.05, "kenward-roger"))
    timed("tipping point (20 imputations x 7 shifts)", lambda: tipping.tipping(
        primaries, [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0], 20, 20230467, 0.05,
        "kenward-roger"))
    return out


def notebook_cpu() -> float:
    """CPU seconds (user + system, children) of one papermill run of the notebook."""
    digest = content_hash(ROOT / "data" / "trial")
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "papermill", "notebooks/08_sensitivity.ipynb",
                        f"{tmp}/out.ipynb", "-p", "data_sha256", digest, "-p", "synthetic",
                        "yes", "-p", "out_dir", tmp, "--log-level", "ERROR"], cwd=ROOT,
                       check=True, capture_output=True,
                       env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="append the report to this file")
    args = parser.parse_args()
    lines = [f"code {code_version(ROOT / 'src')}, load {os.getloadavg()[0]:.1f}"]
    lines += [f"  {name:<45} {cpu:6.2f} s CPU" for name, cpu in parts()]
    cpu = notebook_cpu()
    lines.append(f"  {'whole notebook (papermill + kernel)':<45} {cpu:6.2f} s CPU "
                 f"(goal <= {GOAL:.0f} s: {'met' if cpu <= GOAL else 'NOT met'})")
    report = "\n".join(lines)
    print(report)
    if args.out:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(report + "\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
