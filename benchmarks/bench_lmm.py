"""Speed of :func:`mcbi.stats.lmm.fit_lmm` where the project spends it.

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_lmm.py [--reps 7] [--out FILE]

Prints medians over ``--reps`` repetitions (after one warm-up run; import time excluded) of

(a) :func:`mcbi.paper.outcomes.models.analyse_outcomes` on the shipped data ``data/trial`` for each
    outcome family (therapist families: therapist intercepts; patient families: the
    requested ``"by_time"`` rung), and the total of the ``fit_lmm`` calls inside them;
(b) one planning replicate's eight mixed models (63 therapists, 2 patients each, seed 1,
    the arm x wave models of :class:`mcbi.paper.planning.replicates.TrialReplicate`): the eight
    ``analyse_outcomes`` calls as the replicate makes them, and the eight ``fit_lmm`` calls
    inside them replayed on their own.

``analyse_outcomes`` also adjusts p-values (Holm, through statsmodels, which runs a
``gc.collect()`` per call), so its times include costs outside ``fit_lmm``. To compare two
versions, run the script once with each on ``PYTHONPATH`` in the same session; the
figures depend on the load of the machine (``uptime`` is printed with them): on a busy
machine, set ``OPENBLAS_NUM_THREADS=1`` (as Dask's workers do), since OpenBLAS threads
competing for the cores slow scipy's L-BFGS-B by orders of magnitude; the CPU time of
part (b) is less sensitive to the load. With ``--out`` the report is appended to that
file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

from _timing import code_version, median_times

import mcbi
from mcbi.paper.outcomes import models
from mcbi.paper.outcomes.families import PATIENT_FAMILIES, THERAPIST_FAMILIES
from mcbi.paper.planning import replicates as planning
from mcbi.trial import design
from mcbi.trial.data import load

ROOT = Path(__file__).resolve().parents[1]
DESIGN = (63, 2)


class _Recorder:
    """Stands in for ``mcbi.paper.outcomes.models.fit_lmm``: times and records every call."""

    def __init__(self, fit):
        self.fit, self.calls, self.seconds, self.cpu = fit, [], 0.0, 0.0

    def __call__(self, *args, **kwargs):
        start, cpu = time.perf_counter(), time.process_time()
        res = self.fit(*args, **kwargs)
        self.seconds += time.perf_counter() - start
        self.cpu += time.process_time() - cpu
        self.calls.append((args, kwargs))
        return res


def _with_fits(fn, reps: int) -> tuple[float, float, list]:
    """Median seconds of ``fn()`` and of the ``fit_lmm`` calls in it; the calls."""
    original = models.fit_lmm
    total, fits, calls = [], [], []
    try:
        for i in range(reps + 1):
            rec = _Recorder(original)
            models.fit_lmm = rec
            start = time.perf_counter()
            fn()
            if i:  # the first run is the warm-up
                total.append(time.perf_counter() - start)
                fits.append(rec.seconds)
            calls = rec.calls
    finally:
        models.fit_lmm = original
    return statistics.median(total), statistics.median(fits), calls


def shipped(reps: int) -> list[str]:
    """Lines of part (a)."""
    trial = load(ROOT / "data" / "trial")
    lines = [f"(a) analyse_outcomes on data/trial, median of {reps} "
             "(all / of which fit_lmm; number of fits)"]
    sums = [0.0, 0.0]
    for who, families, long, subject, cluster, kw in (
        ("therapist", THERAPIST_FAMILIES, trial.therapists, design.THERAPIST_ID, None, {}),
        ("patient", PATIENT_FAMILIES, trial.patients, design.PATIENT_ID,
         design.THERAPIST_ID, {"cluster_time": "by_time"}),
    ):
        for family, members in families.items():
            def run(members=members, family=family, long=long, subject=subject,
                    cluster=cluster, kw=kw):
                models.analyse_outcomes(long, {family: members}, subject, cluster, **kw)
            total, fits, calls = _with_fits(run, reps)
            sums[0] += total
            sums[1] += fits
            lines.append(f"    {who:9s} {family:20s} {total:7.3f} s / {fits:7.3f} s  "
                         f"({len(calls)} fits)")
    lines.append(f"    {'sum':30s} {sums[0]:7.3f} s / {sums[1]:7.3f} s")
    return lines


def replicate(reps: int) -> list[str]:
    """Lines of part (b)."""
    sim = planning.simulate(1, n_therapists=DESIGN[0], patients_per_therapist=DESIGN[1])
    trial = planning.score(sim)
    truths = planning.observed_truths(sim, trial)

    def run():
        planning._contrast_rows(trial.therapists, planning.THERAPIST_TARGETS,
                                design.THERAPIST_ID, None, truths, 0.05)
        planning._contrast_rows(trial.patients, planning.PATIENT_TARGETS, design.PATIENT_ID,
                                design.THERAPIST_ID, truths, 0.05, cluster_time="by_time")

    total, fits, calls = _with_fits(run, reps)

    def replay():
        for args, kwargs in calls:
            models.fit_lmm(*args, **kwargs)

    alone, alone_cpu = median_times(replay, reps)
    kinds = [kw.get("cluster_time") or ("three-level" if a[5] else "two-level")
             for a, kw in calls]
    return [f"(b) one planning replicate {DESIGN}, seed 1, median of {reps}",
            f"    8 analyse_outcomes calls     {total:7.3f} s (of which fit_lmm {fits:.3f} s)",
            f"    its {len(calls)} fit_lmm calls alone   {alone:7.3f} s wall, "
            f"{alone_cpu:.3f} s CPU  ({', '.join(str(k) for k in kinds)})"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    head = [f"mcbi at {code_version(Path(mcbi.__file__).resolve().parent)}",
            "OPENBLAS_NUM_THREADS=" + os.environ.get("OPENBLAS_NUM_THREADS", "(unset)"),
            "uptime:" + subprocess.run(["uptime"], capture_output=True,
                                       text=True).stdout.rstrip()]
    lines = head + shipped(args.reps) + replicate(args.reps)
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a") as fh:
            fh.write(text + "\n\n")


if __name__ == "__main__":
    main()
