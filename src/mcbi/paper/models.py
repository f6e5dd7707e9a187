"""The outcome models: arm x wave mixed models, their contrasts and Holm within each family.

Applies the general :mod:`mcbi.stats.lmm` to the trial's long tables
(:class:`mcbi.trial.data.TrialData`) with the families of :mod:`mcbi.paper.outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mcbi.paper.outcomes import PATIENT_FAMILIES, THERAPIST_FAMILIES, label
from mcbi.stats.lmm import contrasts, fit_lmm, holm, icc, marginal_means
from mcbi.trial import design
from mcbi.trial.data import TrialData


@dataclass
class OutcomeAnalysis:
    """Mixed-model results for a set of outcomes.

    Attributes
    ----------
    contrasts : DataFrame
        Within- and between-arm contrasts (:func:`mcbi.stats.lmm.contrasts`) with
        ``family``, ``p_holm`` and ``label`` added.
    means : DataFrame
        Model-estimated means by arm and wave.
    variance : DataFrame
        Variance components per outcome with ``icc`` and ``nobs``.
    """

    contrasts: pd.DataFrame
    means: pd.DataFrame
    variance: pd.DataFrame


def analyse_outcomes(
    long: pd.DataFrame,
    families: dict[str, tuple[str, ...]],
    subject: str,
    cluster: str | None = None,
    alpha: float = 0.05,
    cluster_time: bool | str = False,
) -> OutcomeAnalysis:
    """Fit the arm x wave mixed model to every outcome and collect the contrasts.

    Holm-adjusted p-values (``p_holm``) are computed within each family, separately for
    each contrast (the same kind of contrast at the same wave across the family's
    outcomes). ``cluster_time`` (only with ``cluster``) adds cluster x wave random
    intercepts: ``True`` with one variance, ``"by_time"`` with a variance per wave
    (see :func:`mcbi.stats.lmm.fit_lmm`).

    Raises
    ------
    RuntimeError
        If a model does not converge.
    """
    rows, means, variance = [], [], []
    for family, members in families.items():
        for outcome in members:
            res = fit_lmm(long, outcome, design.ARM, design.WAVE, subject, cluster,
                          group_levels=list(design.ARMS), time_levels=list(design.WAVES),
                          alpha=alpha, cluster_time=cluster_time)
            if not res.converged:
                raise RuntimeError(f"mixed model for {outcome} did not converge")
            con = contrasts(res, alpha=alpha)
            con.insert(0, "family", family)
            rows.append(con)
            means.append(marginal_means(res, alpha=alpha))
            vc = res.variance_components.copy()
            vc.insert(0, "outcome", outcome)
            vc["icc"] = icc(res)
            vc["nobs"] = res.nobs
            variance.append(vc)
    table = pd.concat(rows, ignore_index=True)
    table["p_holm"] = np.nan
    for _, idx in table.groupby(["family", "contrast", "group", "time"]).groups.items():
        table.loc[idx, "p_holm"] = holm(table.loc[idx, "pvalue"].to_numpy())
    table["label"] = table["outcome"].map(label)
    return OutcomeAnalysis(table, pd.concat(means, ignore_index=True),
                           pd.concat(variance, ignore_index=True))


def analyse_therapists(trial: TrialData, alpha: float = 0.05) -> OutcomeAnalysis:
    """The therapist outcomes: a random intercept per therapist (two levels)."""
    return analyse_outcomes(trial.therapists, THERAPIST_FAMILIES, design.THERAPIST_ID,
                            alpha=alpha)


def analyse_patients(trial: TrialData, alpha: float = 0.05,
                     cluster_time: bool | str = "by_time") -> OutcomeAnalysis:
    """The patient outcomes: waves in patients in therapists (three levels).

    ``cluster_time`` chooses the therapist x wave intercepts (see :func:`analyse_outcomes`).
    """
    return analyse_outcomes(trial.patients, PATIENT_FAMILIES, design.PATIENT_ID,
                            design.THERAPIST_ID, alpha=alpha, cluster_time=cluster_time)


def between(table: pd.DataFrame, outcome: str, wave: str) -> pd.Series:
    """The between-arm difference in change for ``outcome`` at ``wave``."""
    sel = table[(table["outcome"] == outcome) & (table["contrast"] == "between")
                & (table["time"] == wave)]
    if len(sel) != 1:
        raise ValueError(f"no unique between-arm contrast for {outcome} at {wave}")
    return sel.iloc[0]


def within(table: pd.DataFrame, outcome: str, wave: str, arm: str = design.TREATED) -> pd.Series:
    """The within-arm change from baseline for ``outcome`` at ``wave`` in ``arm``."""
    sel = table[(table["outcome"] == outcome) & (table["contrast"] == "within")
                & (table["time"] == wave) & (table["group"] == arm)]
    if len(sel) != 1:
        raise ValueError(f"no unique within-arm contrast for {outcome} at {wave} ({arm})")
    return sel.iloc[0]


def variance_table(variance: pd.DataFrame) -> pd.DataFrame:
    """Variance components side by side, one row per outcome, with the cluster-level ICC.

    Parameters
    ----------
    variance : DataFrame
        :attr:`OutcomeAnalysis.variance` (columns ``outcome, component, variance, icc``).

    Returns
    -------
    DataFrame
        Indexed by ``outcome`` (in the input's order); one column per component (in order of
        first appearance) and ``icc``.
    """
    wide = variance.pivot_table(index="outcome", columns="component", values="variance",
                                sort=False)
    wide = wide[list(variance["component"].unique())]
    wide.columns.name = None
    wide["icc"] = variance.groupby("outcome", sort=False)["icc"].first()
    return wide
