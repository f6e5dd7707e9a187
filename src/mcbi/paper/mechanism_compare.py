"""The mechanism model against the generating process and against a single-level model.

Both comparisons return tidy tables; :mod:`mcbi.paper.mechanism_report` formats them and
:mod:`mcbi.paper.names` names their reported numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mcbi.paper.mechanism import (
    CLUSTER,
    SINGLE_LEVEL_MODEL,
    fit_model,
    generator_seed,
    latent_change_data,
    true_paths,
)
from mcbi.trial import design


def _labelled(estimates: pd.DataFrame, columns: dict[str, str],
              op: str | None = None) -> pd.DataFrame:
    """Rows of an estimates table with a label, ``label`` plus ``columns`` renamed."""
    keep = estimates["label"].fillna("") != ""
    if op is not None:
        keep &= estimates["op"] == op
    out = estimates.loc[keep, ["label", *columns]].rename(columns=columns)
    if not out["label"].is_unique:
        raise ValueError("a label names more than one parameter")
    return out


def truth_comparison(truth: pd.DataFrame, latent_estimates: pd.DataFrame,
                     observed_estimates: pd.DataFrame) -> pd.DataFrame:
    """The true paths beside a fit to the latent changes and a fit to the observed scores.

    Parameters
    ----------
    truth : DataFrame
        ``lhs, op, rhs, level, label, true`` (:func:`mcbi.paper.mechanism.true_paths`).
    latent_estimates, observed_estimates : DataFrame
        Estimates tables (columns ``label, op, estimate, ci_lower, ci_upper``) of the model
        fitted to the latent changes and to the observed change scores; rows are matched
        by ``label`` (regressions only for the latent fit).

    Returns
    -------
    DataFrame
        The rows of ``truth`` in their order, with ``latent_estimate, latent_ci_lower,
        latent_ci_upper``, ``covered`` (the true value lies in the latent fit's interval),
        ``observed_estimate`` and ``sign_agrees`` (the observed estimate has the true
        sign). A path missing from a fit has NaN estimates and counts as not covered and
        not agreeing.
    """
    lat = _labelled(latent_estimates, {"estimate": "latent_estimate",
                                       "ci_lower": "latent_ci_lower",
                                       "ci_upper": "latent_ci_upper"}, op="~")
    obs = _labelled(observed_estimates, {"estimate": "observed_estimate"})
    out = truth.merge(lat, on="label", how="left").merge(obs, on="label", how="left")
    out["covered"] = (out["latent_ci_lower"] <= out["true"]) & (
        out["true"] <= out["latent_ci_upper"])
    out["sign_agrees"] = (out["observed_estimate"] * out["true"]) > 0
    return out


def compare_with_truth(data_dir: str | Path,
                       observed_estimates: pd.DataFrame) -> pd.DataFrame | None:
    """:func:`truth_comparison` for a synthetic package; None for real data.

    Regenerates the package's latent changes from the seed in its ``datapackage.json``
    and fits the mechanism model to them.
    """
    seed = generator_seed(data_dir)
    if seed is None:
        return None
    latent = fit_model(latent_change_data(seed))
    return truth_comparison(true_paths(), latent.estimates, observed_estimates)


def fit_single_level(data: pd.DataFrame, model: str = SINGLE_LEVEL_MODEL) -> pd.DataFrame:
    """Fit a one-level model with semopy (full-information ML) to every numeric column.

    The patient and therapist identifiers are dropped: the model treats rows as
    independent. Returns the regressions as ``lhs, op, rhs, estimate, se, pvalue``.
    """
    import semopy  # heavy import, only needed here

    sem = semopy.Model(model)
    sem.fit(data.drop(columns=[design.PATIENT_ID, CLUSTER], errors="ignore"), obj="FIML")
    table = sem.inspect()
    table = table[table["op"] == "~"].rename(columns={
        "lval": "lhs", "rval": "rhs", "Estimate": "estimate", "Std. Err": "se",
        "p-value": "pvalue"})
    out = table[["lhs", "op", "rhs", "estimate", "se", "pvalue"]].reset_index(drop=True)
    for col in ("estimate", "se", "pvalue"):
        out[col] = pd.to_numeric(out[col], errors="coerce")
    return out


def single_level_comparison(two_level_estimates: pd.DataFrame,
                            single_estimates: pd.DataFrame) -> pd.DataFrame:
    """The two-level model's between-level regressions beside the same single-level paths.

    Parameters
    ----------
    two_level_estimates : DataFrame
        Estimates of the two-level model (``lhs, op, rhs, level, label, estimate, se``).
    single_estimates : DataFrame
        Regressions of the single-level model (``lhs, rhs, estimate, se``), e.g. from
        :func:`fit_single_level`.

    Returns
    -------
    DataFrame
        One row per level-2 regression (in the two-level table's order): ``lhs, rhs,
        label, estimate, se, single_estimate, single_se`` and ``se_ratio`` (single /
        two-level SE); NaN where the single-level model lacks the path.
    """
    est = two_level_estimates
    two = est[(est["op"] == "~") & (est["level"] == 2)][["lhs", "rhs", "label", "estimate",
                                                           "se"]]
    single = single_estimates[["lhs", "rhs", "estimate", "se"]].rename(
        columns={"estimate": "single_estimate", "se": "single_se"})
    out = two.merge(single, on=["lhs", "rhs"], how="left", validate="one_to_one")
    out["single_estimate"] = out["single_estimate"].astype(float)
    out["single_se"] = out["single_se"].astype(float)
    out["se_ratio"] = out["single_se"] / out["se"]
    return out.reset_index(drop=True)
