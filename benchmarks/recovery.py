"""Parameter recovery of the synthetic data-generating process (Monte Carlo).

For each seed, simulate the trial and fit ``mcbi.lmm.fit_lmm`` to the *latent* truths:
therapist PMS (two-level) and the patients' EUS-P (three-level, patients within
therapists, with one therapist x wave random intercept variance per wave:
``cluster_time="by_time"``). Print, per outcome and wave, the true between-arm difference
in change, the mean estimate, its Monte Carlo SE (SD / sqrt(seeds)), the z of the bias, and
the ratio of the mean model SE to the SD of the estimates (SE calibration).

Usage::

    .venv/bin/python benchmarks/recovery.py [--seeds 200] [--first 1000] [--workers 1]

The slow test ``tests/test_simulate.py::test_generating_process_recovers_its_parameters``
asserts the same bias criterion (|mean - truth| < 3 MC SE) over seeds 1000-1199, and an
EUS-P SE ratio within 0.8-1.25 at post and follow-up.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from mcbi import design
from mcbi.lmm import contrasts, fit_lmm
from mcbi.parameters import param
from mcbi.simulate import implied_effects, simulate


def _one(seed: int) -> list[tuple[str, str, float, float]]:
    trial = simulate(seed)
    fits = {
        "pms": fit_lmm(trial.therapist_latent, "pms", "arm", "wave", "therapist_id",
                       group_levels=design.ARMS, time_levels=design.WAVES),
        "eus_p": fit_lmm(trial.patient_latent, "eus_p", "arm", "wave", "patient_id",
                         cluster="therapist_id", group_levels=design.ARMS,
                         time_levels=design.WAVES, cluster_time="by_time"),
    }
    rows = []
    for outcome, fit in fits.items():
        tab = contrasts(fit)
        for _, r in tab[tab["contrast"] == "between"].iterrows():
            rows.append((outcome, r["time"], float(r["estimate"]), float(r["se"])))
    return rows


def truths() -> dict[tuple[str, str], float]:
    """True between-arm differences in latent change (baseline-SD units)."""
    implied = implied_effects().set_index(["outcome", "wave"])["implied"]
    post, fu = param("pms_effect")
    return {("pms", "post"): post, ("pms", "followup"): fu,
            ("eus_p", "post"): float(implied[("eus_p", "post")]),
            ("eus_p", "followup"): float(implied[("eus_p", "followup")])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    seeds = range(args.first, args.first + args.seeds)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        rows = [r for part in pool.map(_one, seeds) for r in part]
    elapsed = time.perf_counter() - start
    est = pd.DataFrame(rows, columns=["outcome", "wave", "estimate", "se"])
    out = []
    for (outcome, wave), true in truths().items():
        sub = est[(est["outcome"] == outcome) & (est["wave"] == wave)]
        mean, sd = sub["estimate"].mean(), sub["estimate"].std(ddof=1)
        mcse = sd / np.sqrt(len(sub))
        out.append((outcome, wave, true, mean, mcse, (mean - true) / mcse, sd,
                    sub["se"].mean(), sub["se"].mean() / sd))
    table = pd.DataFrame(out, columns=["outcome", "wave", "truth", "mean", "mc_se", "z",
                                       "sd", "mean_se", "se_ratio"])
    print(f"{len(seeds)} seeds, {elapsed:.0f} s with {args.workers} worker(s)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
