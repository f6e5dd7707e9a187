"""Monte Carlo check that the data-generating process recovers its own arm effects.

For each seed, simulate the trial and fit :func:`mcbi.stats.lmm.fit_lmm` to the *latent* truths:
therapist PMS (two-level) and the patients' EUS-P (three-level, with one therapist x wave
random intercept variance per wave). Used by the slow test in ``tests/test_simulate.py``
and by ``benchmarks/recovery.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.stats.lmm import contrasts, fit_lmm
from mcbi.synth.parameters import param
from mcbi.synth.simulate import implied_effects, simulate
from mcbi.trial import design


def truths() -> dict[tuple[str, str], float]:
    """True between-arm differences in latent change (baseline-SD units)."""
    implied = implied_effects().set_index(["outcome", "wave"])["implied"]
    post, fu = param("pms_effect")
    return {("pms", "post"): post, ("pms", "followup"): fu,
            ("eus_p", "post"): float(implied[("eus_p", "post")]),
            ("eus_p", "followup"): float(implied[("eus_p", "followup")])}


def seed_estimates(seed: int) -> pd.DataFrame:
    """Between-arm contrasts fitted to one simulated trial's latent truths.

    Returns columns ``seed, outcome, wave, estimate, se, converged``.
    """
    trial = simulate(seed)
    fits = {
        "pms": fit_lmm(trial.therapist_latent, "pms", design.ARM, design.WAVE,
                       design.THERAPIST_ID, group_levels=design.ARMS,
                       time_levels=design.WAVES),
        "eus_p": fit_lmm(trial.patient_latent, "eus_p", design.ARM, design.WAVE,
                         design.PATIENT_ID, cluster=design.THERAPIST_ID,
                         group_levels=design.ARMS, time_levels=design.WAVES,
                         cluster_time="by_time"),
    }
    rows = []
    for outcome, fit in fits.items():
        tab = contrasts(fit)
        for _, r in tab[tab["contrast"] == "between"].iterrows():
            rows.append((seed, outcome, str(r["time"]), float(r["estimate"]),
                         float(r["se"]), bool(fit.converged)))
    return pd.DataFrame(rows, columns=["seed", "outcome", "wave", "estimate", "se",
                                       "converged"])


def summarize(estimates: pd.DataFrame) -> pd.DataFrame:
    """Bias and SE calibration per outcome and wave over seeds.

    Returns ``outcome, wave, truth, mean, mc_se, z, sd, mean_se, se_ratio``: the mean
    estimate, its Monte Carlo SE (SD / sqrt(seeds)), the z of the bias, and the ratio of
    the mean model SE to the SD of the estimates.
    """
    out = []
    for (outcome, wave), true in truths().items():
        sub = estimates[(estimates["outcome"] == outcome) & (estimates["wave"] == wave)]
        if len(sub) < 2:
            raise ValueError(f"need estimates from at least two seeds for {outcome} {wave}")
        mean, sd = sub["estimate"].mean(), sub["estimate"].std(ddof=1)
        mcse = sd / np.sqrt(len(sub))
        out.append((outcome, wave, true, mean, mcse, (mean - true) / mcse, sd,
                    sub["se"].mean(), sub["se"].mean() / sd))
    return pd.DataFrame(out, columns=["outcome", "wave", "truth", "mean", "mc_se", "z",
                                      "sd", "mean_se", "se_ratio"])
