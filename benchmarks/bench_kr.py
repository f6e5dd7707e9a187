"""Speed of the small-sample inference of :mod:`mcbi.stats.lmm.ddf` on a trial-sized model.

Usage (from the repository root)::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_kr.py [--reps 21] [--out FILE]

On the shipped data ``data/trial``: the patients' perceived empathy (``eus_p``), patients
within therapists (63 clusters), waves pre / post / follow-up, with one cluster x time
variance per wave (``cluster_time="by_time"``, the book's patient model), fitted by REML.
Prints medians over ``--reps`` repetitions (after one warm-up; import time excluded) of

- the REML fit (:func:`mcbi.stats.lmm.fit_lmm`) and, for comparison, the ML fit;
- Kenward-Roger for one contrast (the between-arm difference in change from baseline to
  post): ``contrast_test(fit, L, ddf="kenward-roger")``, everything from the fitted model
  to the table (covariance structure, adjusted covariance, df) -- goal <= 50 ms;
- Satterthwaite for the same contrast, and ``contrasts(fit, ddf=...)`` (all six within and
  between contrasts of the model) for both methods.

With ``--out`` the report is appended to that file (``benchmarks/results/kr.txt``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import numpy as np
from _timing import code_version, median_times

import mcbi
from mcbi.stats.lmm import contrast_test, contrasts, fit_lmm
from mcbi.trial import design
from mcbi.trial.data import load

ROOT = Path(__file__).resolve().parents[1]
GOAL = 0.050


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=21)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    trial = load(ROOT / "data" / "trial")
    long = trial.patients
    waves = list(design.WAVES)

    def fit(reml: bool):
        return fit_lmm(long, "eus_p", design.ARM, design.WAVE, design.PATIENT_ID,
                       design.THERAPIST_ID, group_levels=list(design.ARMS), time_levels=waves,
                       cluster_time="by_time", reml=reml)

    res = fit(True)
    L = np.zeros(len(res.fixed))
    L[list(res.fixed["term"]).index(
        f"{design.ARM}[T.{design.ARMS[1]}]:{design.WAVE}[T.{waves[1]}]")] = 1.0
    kr = contrast_test(res, L, ddf="kenward-roger")
    sat = contrast_test(res, L, ddf="satterthwaite")
    timings = [
        ("REML fit (fit_lmm, reml=True)", lambda: fit(True)),
        ("ML fit (fit_lmm, reml=False)", lambda: fit(False)),
        ("Kenward-Roger, one contrast", lambda: contrast_test(res, L, ddf="kenward-roger")),
        ("Satterthwaite, one contrast", lambda: contrast_test(res, L, ddf="satterthwaite")),
        ("contrasts(ddf='kenward-roger'), 6 rows",
         lambda: contrasts(res, ddf="kenward-roger")),
        ("contrasts(ddf='satterthwaite'), 6 rows",
         lambda: contrasts(res, ddf="satterthwaite")),
    ]
    lines = [f"mcbi at {code_version(Path(mcbi.__file__).resolve().parent)}",
             "OPENBLAS_NUM_THREADS=" + os.environ.get("OPENBLAS_NUM_THREADS", "(unset)"),
             "uptime:" + subprocess.run(["uptime"], capture_output=True,
                                        text=True).stdout.rstrip(),
             f"model: eus_p on data/trial, {res.nobs} observations, {res.n_subjects} patients, "
             f"{res.n_clusters} therapists, cluster_time='by_time', REML; "
             f"{len(res.variance_components)} variance components",
             f"contrast: between-arm change pre -> {waves[1]}: KR df {kr['df'].iloc[0]:.2f}, "
             f"SE {kr['se'].iloc[0]:.4f}; Satterthwaite df {sat['df'].iloc[0]:.2f}, "
             f"SE {sat['se'].iloc[0]:.4f}",
             f"median of {args.reps} (wall / CPU):"]
    kr_wall = None
    for label, call in timings:
        wall, cpu = median_times(call, args.reps)
        kr_wall = wall if label.startswith("Kenward-Roger") else kr_wall
        lines.append(f"    {label:42s} {1e3 * wall:8.1f} ms / {1e3 * cpu:8.1f} ms")
    verdict = "met" if kr_wall <= GOAL else "NOT met"
    lines.append(f"goal: Kenward-Roger for one contrast <= {1e3 * GOAL:.0f} ms: {verdict}")
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("a") as fh:
            fh.write(text + "\n\n")


if __name__ == "__main__":
    main()
