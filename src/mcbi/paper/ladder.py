"""A model ladder for the mechanism, fixed in advance: the first admissible rung is reported.

The mechanism model (:data:`mcbi.paper.mechanism.MODEL`) has many between-therapist
parameters for 63 therapists with one to four patients each. On real data (item noise,
missing therapists or items, one patient per therapist) its maximum-likelihood solution
may not exist inside the parameter space (negative between variances), may not be found,
or may have no standard errors. Rather than choosing a model after looking at the
estimates, the rungs below are tried in order and the first one that passes a mechanical
check is reported:

1. ``full`` - the mechanism model as specified, unrestricted ML.
2. ``full_bounded`` - the same model with every variance bounded below by zero
   (lavaan's ``bounds = "pos.var"``).
3. ``diagonal_between`` - as 2, with the between-level residual covariances of the
   outcomes fixed at zero (the three symptom changes keep their own between-level
   residual variances and paths). With diagonal, non-negative residual variances the
   implied between covariance matrix is positive semi-definite by construction. Chosen
   over a single global-severity change so that every rung models the same observed
   variables and the paths ``a`` and ``b`` keep their meaning and units.
4. ``chain`` - the a -> b chain alone: arm -> ΔPMS -> ΔEUS-P -> Δbond at the between
   level and ΔEUS-P -> Δbond within, variances bounded at zero.

A rung *passes* when the optimiser converged, the solution is admissible (no negative
variance, positive-definite within and positive semi-definite between implied covariance
matrices; a variance on its zero bound is admissible) and every interior free parameter
has a finite standard error. Data in which every therapist has a single patient are not
fitted at all: there the within and between parts are not separately identified, and the
ladder reports that as the reason. Every rung uses the three starts of
:data:`mcbi.stats.msem.starts.START_NAMES` and keeps the best admissible optimum.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mcbi.paper.mechanism import CLUSTER, MODEL
from mcbi.stats.msem import MSEMResult, build_partable, fit

__all__ = ["Rung", "RungOutcome", "LadderResult", "RUNGS", "fit_ladder", "mechanism_values",
           "diagonal_between_model"]

PATH_A, PATH_B, INDIRECT_AB = "a", "b", "pms_eusp_bond"
"""Labels of ΔPMS -> ΔEUS-P (between), ΔEUS-P -> Δbond (between) and the defined a*b."""

MAX_ITER = 600
"""Iteration limit per start (at most 12,000 likelihood evaluations): bounds the time."""

CHAIN_MODEL = """
level: 1
  bond ~ eusp
level: 2
  pms ~ mcbi
  eusp ~ a*pms
  bond ~ b*eusp
pms_eusp_bond := a*b
"""
"""Rung 4: the arm -> ΔPMS -> ΔEUS-P -> Δbond chain alone."""


def diagonal_between_model(model: str = MODEL) -> str:
    """``model`` with every free level-2 covariance between non-exogenous variables fixed at 0.

    Covers the covariances written in the syntax and the ones lavaan adds by default
    (among the observed outcomes); covariances among exogenous variables stay free.
    """
    table, roles = build_partable(model)
    exo = set(roles.exogenous[2])
    cov = table[(table["level"] == 2) & (table["op"] == "~~") & (table["lhs"] != table["rhs"])
                & (table["free"] > 0)]
    lines = [f"  {r.lhs} ~~ 0*{r.rhs}" for r in cov.itertuples()
             if not (r.lhs in exo and r.rhs in exo)]
    if not lines:
        return model
    return model.rstrip() + "\nlevel: 2\n" + "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Rung:
    """One rung: a name, the model syntax and the ``bounds`` argument of the fit."""

    name: str
    model: str
    bounds: str | None


RUNGS: tuple[Rung, ...] = (
    Rung("full", MODEL, None),
    Rung("full_bounded", MODEL, "pos.var"),
    Rung("diagonal_between", diagonal_between_model(MODEL), "pos.var"),
    Rung("chain", CHAIN_MODEL, "pos.var"),
)
"""The ladder, in the order tried."""


@dataclass
class RungOutcome:
    """What happened on one rung: ``passed``, the reasons if not, and the fit if any."""

    rung: Rung
    passed: bool
    reasons: list[str]
    result: MSEMResult | None = field(default=None, repr=False)


@dataclass
class LadderResult:
    """The outcome of :func:`fit_ladder`.

    Attributes
    ----------
    outcomes : list of RungOutcome
        Every rung tried, in order (the ladder stops at the first that passes).
    chosen : RungOutcome or None
        The first rung that passed, or None when none did.
    """

    outcomes: list[RungOutcome]
    chosen: RungOutcome | None

    @property
    def result(self) -> MSEMResult | None:
        """The chosen rung's :class:`~mcbi.stats.msem.MSEMResult` (None if no rung passed)."""
        return None if self.chosen is None else self.chosen.result

    def table(self) -> pd.DataFrame:
        """One row per rung tried: ``rung, bounds, passed, reasons``."""
        return pd.DataFrame({
            "rung": [o.rung.name for o in self.outcomes],
            "bounds": [o.rung.bounds or "none" for o in self.outcomes],
            "passed": [o.passed for o in self.outcomes],
            "reasons": ["; ".join(o.reasons) for o in self.outcomes],
        })


def rung_check(res: MSEMResult) -> list[str]:
    """Reasons why a fitted rung does not pass (empty: it passes)."""
    reasons = []
    if not res.converged:
        reasons.append(f"not converged ({res.optimum.message})")
    reasons += [f"inadmissible: {r}" for r in res.inadmissible]
    est = res.estimates
    interior = (est["free"] > 0) & ~res.at_bound.to_numpy()
    if not np.all(np.isfinite(est.loc[interior, "se"])):
        reasons.append("standard errors not available (information not positive definite)")
    labels = set(est["label"])
    for lab in (PATH_A, PATH_B):
        if lab not in labels:
            reasons.append(f"model has no parameter labelled {lab!r}")
    return reasons


def fit_ladder(data: pd.DataFrame, rungs: tuple[Rung, ...] = RUNGS,
               cluster: str = CLUSTER) -> LadderResult:
    """Fit the rungs in order and stop at the first that passes :func:`rung_check`.

    Parameters
    ----------
    data : pandas.DataFrame
        Change data (:func:`mcbi.paper.mechanism.change_data`).
    rungs : tuple of Rung
        The ladder (default :data:`RUNGS`).
    cluster : str
        Cluster column.

    Returns
    -------
    LadderResult

    Examples
    --------
    >>> lad = fit_ladder(change_data(load("data/trial")))  # doctest: +SKIP
    >>> lad.table(), mechanism_values(lad)  # doctest: +SKIP
    """
    if not rungs:
        raise ValueError("the ladder needs at least one rung")
    if cluster not in data.columns:
        raise ValueError(f"cluster column {cluster!r} not in the data")
    outcomes: list[RungOutcome] = []
    if data.groupby(cluster).size().max() < 2:
        reason = ("not identified: every cluster has one unit, so the within and between "
                  "parts cannot be separated")
        return LadderResult([RungOutcome(r, False, [reason]) for r in rungs], None)
    for rung in rungs:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = fit(rung.model, data, cluster=cluster, bounds=rung.bounds,
                          starts="multi", saturated=False, max_iter=MAX_ITER)
        except (ValueError, np.linalg.LinAlgError) as exc:
            outcomes.append(RungOutcome(rung, False, [f"fit failed: {exc}"]))
            continue
        reasons = rung_check(res)
        outcomes.append(RungOutcome(rung, not reasons, reasons, res))
        if not reasons:
            return LadderResult(outcomes, outcomes[-1])
    return LadderResult(outcomes, None)


def mechanism_values(ladder: LadderResult, n_draws: int = 20000, seed: int = 1,
                     level: float = 0.95) -> dict:
    """The stable contract values of the mechanism.

    Returns
    -------
    dict
        ``mechanism_model`` (rung name), ``mechanism_model_text`` (its syntax),
        ``mechanism_bounds``, ``path_a`` / ``path_b`` (estimate, with ``_se``,
        ``_ci_lower``, ``_ci_upper`` Wald intervals at ``level``), ``indirect_ab`` (a*b,
        with a Monte Carlo interval ``indirect_ab_ci_lower`` / ``_ci_upper`` from
        ``n_draws`` draws of (a, b) ~ N((â, b̂), V̂)) and ``mechanism_reason`` ("" when a
        rung passed; otherwise why every rung failed, and every number is NaN).
    """
    keys = [f"{p}{s}" for p in ("path_a", "path_b") for s in ("", "_se", "_ci_lower",
                                                                "_ci_upper")]
    keys += ["indirect_ab", "indirect_ab_ci_lower", "indirect_ab_ci_upper"]
    out: dict = {k: float("nan") for k in keys}
    if ladder.chosen is None:
        out.update(mechanism_model="", mechanism_model_text="", mechanism_bounds="",
                   mechanism_reason="no rung passed: " + " | ".join(
                       f"{o.rung.name}: {'; '.join(o.reasons)}" for o in ladder.outcomes))
        return out
    res, rung = ladder.chosen.result, ladder.chosen.rung
    out.update(mechanism_model=rung.name, mechanism_model_text=rung.model,
               mechanism_bounds=rung.bounds or "none", mechanism_reason="")
    est = res.estimates.set_index("label")
    crit = _crit(level)
    for name, lab in (("path_a", PATH_A), ("path_b", PATH_B)):
        row = est.loc[lab]
        out[name], out[f"{name}_se"] = float(row["estimate"]), float(row["se"])
        out[f"{name}_ci_lower"] = out[name] - crit * out[f"{name}_se"]
        out[f"{name}_ci_upper"] = out[name] + crit * out[f"{name}_se"]
    out["indirect_ab"] = out["path_a"] * out["path_b"]
    lo, hi = _mc_product(res, est, n_draws, seed, level)
    out["indirect_ab_ci_lower"], out["indirect_ab_ci_upper"] = lo, hi
    return out


def _mc_product(res: MSEMResult, est: pd.DataFrame, n_draws: int, seed: int,
                level: float) -> tuple[float, float]:
    """Monte Carlo percentile interval of a*b (Preacher & Selig, 2012) from (â, b̂, V̂)."""
    if n_draws < 100:
        raise ValueError("n_draws must be at least 100")
    idx = [int(est.loc[lab, "free"]) - 1 for lab in (PATH_A, PATH_B)]
    cov = res.vcov[np.ix_(idx, idx)]
    if not np.all(np.isfinite(cov)):
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(res.theta[idx], cov, size=n_draws, method="eigh")
    prod = draws[:, 0] * draws[:, 1]
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(prod, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def _crit(level: float) -> float:
    from scipy import stats

    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    return float(stats.norm.ppf(0.5 + level / 2.0))
