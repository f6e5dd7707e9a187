"""The mechanism model against the generating process and against a single-level model.

Both comparisons return tidy tables; :mod:`mcbi.paper.mechanism.report` formats them and
:mod:`mcbi.paper.mechanism.names` names their reported numbers.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mcbi.paper.mechanism.ladder import (
    INDIRECT_AB,
    MAX_ITER,
    LadderResult,
    fit_ladder,
    mechanism_values,
)
from mcbi.paper.mechanism.model import (
    CLUSTER,
    MODEL,
    SINGLE_LEVEL_MODEL,
    generator_seed,
    latent_change_data,
    true_paths,
)
from mcbi.stats.msem import MSEMResult, fit
from mcbi.stats.msem import fit_single_level as fit_single_level_sem
from mcbi.trial import design

_PATH_KEY = ["lhs", "op", "rhs", "level"]


def report_fit(ladder: LadderResult, data: pd.DataFrame, level: float = 0.95,
               cluster: str = CLUSTER) -> MSEMResult | None:
    """The chosen rung refitted with fit measures, ICCs and intervals at ``level``.

    :func:`mcbi.paper.mechanism.ladder.fit_ladder` skips the saturated and baseline models and uses
    95 % intervals. This repeats the chosen rung's fit with the same model, bounds, starts
    and iteration limit (the optimisation is deterministic, so the estimates are the
    ladder's) and adds the chi-square test, fit indices, ICCs and Wald intervals at
    ``level``. None when no rung passed. Estimator warnings stay in ``.warnings``.
    """
    if ladder.chosen is None:
        return None
    rung = ladder.chosen.rung
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(rung.model, data, cluster=cluster, bounds=rung.bounds, starts="multi",
                   saturated=True, max_iter=MAX_ITER, level=level)


def contract_values(ladder: LadderResult, monte_carlo: pd.DataFrame | None, n_draws: int,
                    seed: int, level: float) -> dict:
    """:func:`~mcbi.paper.mechanism.ladder.mechanism_values`, with the indirect effect's interval
    from ``monte_carlo`` (the reported fit's :meth:`~mcbi.stats.msem.MSEMResult.monte_carlo_ci`).

    Both draw from the same normal approximation; taking the table's draws makes the glued
    interval of ``indirect_ab`` identical to the one in the indirect-effects table.
    """
    out = mechanism_values(ladder, n_draws=n_draws, seed=seed, level=level)
    if monte_carlo is not None and INDIRECT_AB in set(monte_carlo["name"]):
        row = monte_carlo.set_index("name").loc[INDIRECT_AB]
        out["indirect_ab_ci_lower"] = float(row["ci_lower"])
        out["indirect_ab_ci_upper"] = float(row["ci_upper"])
    return out


def _truth_labels(estimates: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """``estimates`` with the truth's label on every path the truth names (by lhs/op/rhs/level)."""
    out = estimates.reset_index(drop=True)
    names = truth[[*_PATH_KEY, "label"]].rename(columns={"label": "truth_label"})
    matched = out[_PATH_KEY].astype({"level": float}).merge(
        names.astype({"level": float}), on=_PATH_KEY, how="left", validate="many_to_one")
    out["label"] = matched["truth_label"].where(matched["truth_label"].notna(), out["label"])
    return out


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
        ``lhs, op, rhs, level, label, true`` (:func:`mcbi.paper.mechanism.model.true_paths`).
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


def compare_with_truth(data_dir: str | Path, observed_estimates: pd.DataFrame,
                       model: str = MODEL, bounds: str | None = None,
                       level: float = 0.95, synthetic: str | bool = "auto"
                       ) -> pd.DataFrame | None:
    """:func:`truth_comparison` for a synthetic package; None for real data.

    Regenerates the package's latent changes from the seed in its ``datapackage.json``
    and fits ``model`` (with ``bounds``: the reported rung) to them, with intervals at
    ``level``. Paths are matched to the truth by ``lhs, op, rhs, level`` (a rung may leave
    a path unlabelled), and only the true paths that ``observed_estimates`` contain are
    compared. ``synthetic`` is the build's verdict on the package (see
    :func:`~mcbi.paper.mechanism.model.generator_seed`). Raises ``ValueError`` when the
    latent fit fails.
    """
    seed = generator_seed(data_dir, synthetic)
    if seed is None:
        return None
    truth = true_paths()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        latent = fit(model, latent_change_data(seed), cluster=CLUSTER, bounds=bounds,
                     saturated=False, level=level)
    observed = _truth_labels(observed_estimates, truth)
    truth = truth[truth["label"].isin(observed.loc[observed["op"] == "~", "label"])]
    return truth_comparison(truth.reset_index(drop=True),
                            _truth_labels(latent.estimates, truth), observed)


def fit_single_level(data: pd.DataFrame, model: str = SINGLE_LEVEL_MODEL) -> pd.DataFrame:
    """Fit a one-level model with a mean structure by full-information ML.

    :func:`mcbi.stats.msem.fit_single_level`: every intercept is estimated and rows with
    missing values contribute what they observe, as lavaan's ``sem(..., missing = "fiml",
    meanstructure = TRUE)`` (checked against it, ``tests/fixtures/lavaan/single_level.json``).
    The patient and therapist identifiers are dropped: the model treats rows as
    independent. Returns the regressions as ``lhs, op, rhs, estimate, se, pvalue``.

    Raises
    ------
    ValueError
        The model cannot be fitted or the optimiser did not converge.
    """
    res = fit_single_level_sem(model, data.drop(columns=[design.PATIENT_ID, CLUSTER],
                                                errors="ignore"))
    if not res.converged:
        raise ValueError("the optimiser did not converge")
    est = res.estimates
    out = est.loc[est["op"] == "~", ["lhs", "op", "rhs", "estimate", "se", "pvalue"]]
    return out.reset_index(drop=True)


def single_level_or_reason(two_level_estimates: pd.DataFrame, data: pd.DataFrame,
                           model: str = SINGLE_LEVEL_MODEL) -> tuple[pd.DataFrame | None, str]:
    """:func:`single_level_comparison` with :func:`fit_single_level`, never raising or printing.

    Returns
    -------
    (DataFrame or None, str)
        The comparison and ``""``; or None and the reason when the fit fails or gives no
        usable estimate (e.g. on pilot-sized data). The estimator's warnings are
        swallowed.
    """
    sink = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            single = fit_single_level(data, model)
    except Exception as exc:  # noqa: BLE001 - any failure means "no fit"
        return None, f"the single-level model could not be fitted ({type(exc).__name__}: {exc})"
    if single.empty or not np.isfinite(single["estimate"]).all():
        return None, "the single-level model gave no finite estimates"
    side = single_level_comparison(two_level_estimates, single)
    return side, ""


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


CLAIMS = (
    ("a", "path", 1), ("b", "path", 1), ("c1", "path", -1), ("c2", "path", -1),
    ("c3", "path", -1), ("pms_eusp_bond", "indirect", 1), ("pms_som", "indirect", -1),
    ("pms_dep", "indirect", -1), ("pms_anx", "indirect", -1),
)
"""The article's mechanism claim, one row per link: (label in :data:`MODEL`, kind, the
published direction). Paths are between-therapist regressions; a symptom decrease is an
improvement, so the bond -> symptom paths and the indirect effects on symptoms are negative."""

BOND_SYMPTOM = ("c1", "c2", "c3")
"""Labels of the between-therapist Δbond -> Δsymptom paths."""


def claims_comparison(estimates: pd.DataFrame | None,
                      monte_carlo: pd.DataFrame | None) -> pd.DataFrame:
    """The article's mechanism claim (:data:`CLAIMS`) beside this build's estimates.

    Parameters
    ----------
    estimates : DataFrame or None
        The reported rung's estimates (``op, label, estimate, ci_lower, ci_upper``); None
        when no rung passed.
    monte_carlo : DataFrame or None
        Its Monte Carlo intervals of the defined parameters (``name, estimate, ci_lower,
        ci_upper``).

    Returns
    -------
    DataFrame
        ``label, kind, sign, estimate, ci_lower, ci_upper, reproduced`` (1.0 when the
        interval excludes zero in the published direction, 0.0 when it does not, NaN when
        the reported model has no such parameter).
    """
    cols = ["estimate", "ci_lower", "ci_upper"]
    paths = pd.DataFrame(columns=["label", *cols])
    if estimates is not None:
        paths = estimates.loc[(estimates["op"] == "~") & (estimates["label"].fillna("") != ""),
                              ["label", *cols]]
    indirect = pd.DataFrame(columns=["label", *cols])
    if monte_carlo is not None:
        indirect = monte_carlo[["name", *cols]].rename(columns={"name": "label"})
    rows = []
    for label, kind, sign in CLAIMS:
        source = (paths if kind == "path" else indirect).set_index("label")
        vals = source.loc[label, cols].astype(float) if label in source.index else None
        est, lo, hi = (np.nan,) * 3 if vals is None else tuple(vals)
        rep = np.nan if np.isnan([est, lo, hi]).any() else float(
            lo > 0 if sign > 0 else hi < 0)
        rows.append((label, kind, sign, est, lo, hi, rep))
    return pd.DataFrame(rows, columns=["label", "kind", "sign", *cols, "reproduced"])


@dataclass
class MechanismAnalysis:
    """Everything the mechanism chapter reports, from :func:`analyse`.

    Attributes
    ----------
    ladder : LadderResult
        The ladder as fitted; ``ladder.chosen`` is the reported rung (None: no estimates).
    msem : MSEMResult or None
        The reported rung refitted with fit measures and intervals at ``level``.
    monte_carlo : DataFrame or None
        Monte Carlo intervals of its defined parameters.
    claims : DataFrame
        :func:`claims_comparison`.
    single : DataFrame or None
        :func:`single_level_comparison`; ``single_reason`` says why it is None.
    truth : DataFrame or None
        :func:`compare_with_truth` (None for real data or without estimates);
        ``truth_reason`` is set when a synthetic package's latent fit failed.
    """

    ladder: LadderResult
    msem: MSEMResult | None
    monte_carlo: pd.DataFrame | None
    claims: pd.DataFrame
    single: pd.DataFrame | None = None
    single_reason: str = ""
    truth: pd.DataFrame | None = None
    truth_reason: str = ""

    @property
    def estimates(self) -> pd.DataFrame | None:
        """The reported rung's estimates (None when no rung passed)."""
        return None if self.msem is None else self.msem.estimates


def analyse(data: pd.DataFrame, data_dir: str | Path, n_draws: int, seed: int,
            level: float, synthetic: str | bool = "auto") -> MechanismAnalysis:
    """Fit the ladder to ``data`` and compute every comparison of the reported rung.

    Parameters
    ----------
    data : DataFrame
        :func:`mcbi.paper.mechanism.model.change_data` of the package at ``data_dir``.
    data_dir : str or Path
        The package (its generator record decides whether a truth comparison is made).
    n_draws, seed : int
        Monte Carlo draws and their seed.
    level : float
        Confidence level of every interval.
    synthetic : {"auto", "yes", "no"} or bool
        The build's verdict on the package (``"auto"``: decided here).

    Returns
    -------
    MechanismAnalysis
    """
    ladder = fit_ladder(data)
    msem = report_fit(ladder, data, level=level)
    if msem is None:
        return MechanismAnalysis(ladder, None, None, claims_comparison(None, None),
                                 single_reason="no estimates")
    mc = msem.monte_carlo_ci(n_draws=n_draws, seed=seed, level=level)
    out = MechanismAnalysis(ladder, msem, mc, claims_comparison(msem.estimates, mc))
    out.single, out.single_reason = single_level_or_reason(msem.estimates, data)
    rung = ladder.chosen.rung
    try:
        out.truth = compare_with_truth(data_dir, msem.estimates, rung.model, rung.bounds,
                                       level, synthetic)
    except (ValueError, np.linalg.LinAlgError) as exc:
        out.truth_reason = f"the model could not be fitted to the latent changes ({exc})"
    return out
