"""Speed of the power planning: one mechanism fit, and replicates per second on Dask.

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_planning.py [--fits 5] [--reps 12]

Prints

* the median time of the trial-sized mechanism fit (:func:`mcbi.paper.mechanism.ladder.fit_ladder`
  on the change data of a simulated 63-therapist trial, after one warm-up fit), and of one
  whole replicate (:class:`~mcbi.paper.planning.replicates.TrialReplicate`: simulation,
  scoring, eight mixed models, the ladder);
* replicates per second of :func:`~mcbi.paper.planning.replicates.plan` on a LocalCluster
  with 1 worker (a thread of this process, see :func:`mcbi.stats.montecarlo.dask_client`)
  and with 2 worker
  processes (one thread and one BLAS thread each, no cache, one replicate per task; the
  clusters are started before the clock runs and warmed up by one replicate per worker) and
  their ratio.

The figures depend on the load of the machine: run it on an otherwise idle one. They are
also written to ``benchmarks/results/planning.txt``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from mcbi.paper.mechanism.ladder import fit_ladder
from mcbi.paper.mechanism.model import change_data
from mcbi.paper.planning import replicates as planning
from mcbi.stats import montecarlo as power
from mcbi.synth.simulate import simulate

RESULTS = Path(__file__).resolve().parent / "results" / "planning.txt"

DESIGN = (63, 2)


def fit_times(n: int) -> tuple[float, float]:
    """Median seconds of a mechanism ladder fit and of a whole replicate."""
    data = change_data(planning.score(simulate(1)))
    fit_ladder(data)
    ladder = []
    for seed in range(2, 2 + n):
        data = change_data(planning.score(simulate(seed)))
        start = time.perf_counter()
        fit_ladder(data)
        ladder.append(time.perf_counter() - start)
    rep = []
    fn = planning.TrialReplicate()
    for seed in range(n):
        start = time.perf_counter()
        fn(DESIGN, seed)
        rep.append(time.perf_counter() - start)
    return statistics.median(ladder), statistics.median(rep)


def rate(workers: int, reps: int) -> float:
    """Replicates per second of plan() on a LocalCluster of ``workers`` processes."""
    with power.dask_client(workers=workers) as client:
        warm = planning.TrialReplicate()
        client.gather([client.submit(warm, DESIGN, 10_000 + i, pure=False)
                       for i in range(workers)])
        start = time.perf_counter()
        planning.plan([DESIGN[0]], [DESIGN[1]], reps, 7, client, chunk_size=1, cache_dir=None)
        return reps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fits", type=int, default=5, help="timed fits (median)")
    parser.add_argument("--reps", type=int, default=12, help="replicates per rate")
    args = parser.parse_args()
    ladder, replicate = fit_times(args.fits)
    lines = [f"date        {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, commit {_commit()}",
             f"cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.1f}",
             f"mechanism ladder fit, {DESIGN[0]} therapists x {DESIGN[1]}: median {ladder:.2f} s",
             f"one replicate (simulate, score, 8 mixed models, ladder): median {replicate:.2f} s"]
    print("\n".join(lines), flush=True)
    one = rate(1, args.reps)
    two = rate(2, args.reps)
    lines += [f"replicates/s with 1 worker: {one:.3f}",
              f"replicates/s with 2 workers: {two:.3f}",
              f"ratio 2/1: {two / one:.2f} (goal >= 1.7 on 2 idle cores)"]
    print("\n".join(lines[-3:]))
    RESULTS.write_text("\n".join(lines) + "\n", "utf-8")


def _commit() -> str:
    """Short commit of the checkout (``unknown`` outside git)."""
    out = subprocess.run(["git", "-C", str(RESULTS.parents[2]), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"

if __name__ == "__main__":
    main()
