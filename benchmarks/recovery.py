"""Parameter recovery of the synthetic data-generating process (Monte Carlo).

For each seed, simulate the trial and fit ``mcbi.stats.lmm.fit_lmm`` to the *latent* truths:
therapist PMS (two-level) and the patients' EUS-P (three-level, patients within
therapists, with one therapist x wave random intercept variance per wave:
``cluster_time="by_time"``). Print, per outcome and wave, the true between-arm difference
in change, the mean estimate, its Monte Carlo SE (SD / sqrt(seeds)), the z of the bias, and
the ratio of the mean model SE to the SD of the estimates (SE calibration).

Usage::

    .venv/bin/python benchmarks/recovery.py [--seeds 200] [--first 1000] [--workers 1]

The slow test ``tests/synth/test_simulate.py::test_generating_process_recovers_its_parameters``
asserts the same bias criterion (|mean - truth| < 3 MC SE) over seeds 1000-1199, and an
EUS-P SE ratio within 0.8-1.25 at post and follow-up.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

from mcbi.synth.recovery import seed_estimates, summarize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    seeds = range(args.first, args.first + args.seeds)
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        estimates = pd.concat(list(pool.map(seed_estimates, seeds)), ignore_index=True)
    elapsed = time.perf_counter() - start
    table = summarize(estimates)
    print(f"{len(seeds)} seeds, {elapsed:.0f} s with {args.workers} worker(s)")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
