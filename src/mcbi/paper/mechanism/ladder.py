"""A model ladder for the mechanism, fixed in advance: the first admissible rung is reported.

The mechanism model (:data:`mcbi.paper.mechanism.model.MODEL`) has many between-therapist
parameters for the trial's 63 therapists with a few patients each. On real data (item noise,
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
has a finite standard error. Every rung uses the three starts of
:data:`mcbi.stats.msem.starts.START_NAMES` and keeps the best admissible optimum.

Before any rung is fitted, two checks on the data's structure alone (never on estimates)
can stop the ladder with a reason instead of an estimate:

* *Clusters.* When no therapist has more than one patient in the model (a patient enters
  with a change on at least one patient variable), the within and between parts are not
  separately identified. A single-level path model would identify ``a`` (ΔPMS is a
  therapist variable) but its ``b`` would pool within- and between-therapist association:
  a different quantity from the between-level ``b`` that the contract, the published claim
  and the truth comparison are about, so it is not a rung (the chapter's single-level
  check shows it where it can be fitted).
* *Support of the paths.* For each of ``a`` and ``b`` (:func:`path_support`) the data must
  hold at least :data:`MIN_PAIRS` units observed on both of the path's variables, and at
  least :data:`MIN_COVERAGE` of the units in the model: therapists with a ΔPMS and a
  patient with a ΔEUS-P for ``a``; patients with both ΔEUS-P and Δbond for ``b``. The
  10 % follows lavaan's warning for pairwise covariance coverage under FIML. Below it the
  estimate of the path comes from the model's extrapolation, not from data: with 30 % of
  item cells blanked independently, the 80 % scoring rule leaves about one therapist with
  both a ΔPMS and a patient's ΔEUS-P, and an admissible optimum with finite standard
  errors is still found on some draws (path *a* near −7 on a change-score scale).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mcbi.paper.mechanism.model import CLUSTER, MODEL, VARIABLES
from mcbi.stats.msem import MSEMResult, build_partable, fit

__all__ = ["Rung", "RungOutcome", "LadderResult", "RUNGS", "fit_ladder", "mechanism_values",
           "diagonal_between_model", "path_support", "data_reasons", "MIN_PAIRS",
           "MIN_COVERAGE"]

PATH_A, PATH_B, INDIRECT_AB = "a", "b", "pms_eusp_bond"
"""Labels of ΔPMS -> ΔEUS-P (between), ΔEUS-P -> Δbond (between) and the defined a*b."""

MAX_ITER = 600
"""Iteration limit per start (at most 12,000 likelihood evaluations): bounds the time."""

MIN_PAIRS = 10
"""Least number of units observed on both variables of path ``a`` and of path ``b``."""

MIN_COVERAGE = 0.10
"""Least share of the units in the model observed on both variables of a path (lavaan's
pairwise-coverage warning threshold)."""

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
    stopped : list of str
        Why no rung was fitted at all (:func:`data_reasons`); empty when the rungs were
        fitted.
    """

    outcomes: list[RungOutcome]
    chosen: RungOutcome | None
    stopped: list[str] = field(default_factory=list)

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


def path_support(data: pd.DataFrame, model: str, cluster: str = CLUSTER) -> pd.DataFrame:
    """How many units carry data on both variables of the paths labelled ``a`` and ``b``.

    A path between two level-1 variables is counted in level-1 units (rows) observed on
    both; a path with a between-only variable (constant within a cluster, e.g. ΔPMS) is
    counted in clusters with that variable observed and at least one row observing the
    other. Units in the model are the rows with at least one level-1 variable of ``model``
    observed, and their clusters.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per level-1 unit.
    model : str
        Model syntax with level-2 regressions labelled ``a`` and ``b``.
    cluster : str
        Cluster column.

    Returns
    -------
    pandas.DataFrame
        One row per path: ``label, lhs, rhs, unit`` ("patients" or "therapists"),
        ``pairs, units`` and ``coverage`` (pairs / units).
    """
    table, roles = build_partable(model)
    y = [v for v in roles.y if v in data.columns]
    used = data[data[y].notna().any(axis=1)] if y else data.iloc[:0]
    rows = []
    for lab in (PATH_A, PATH_B):
        path = table[(table["label"] == lab) & (table["op"] == "~")]
        if path.empty:
            raise ValueError(f"the model has no regression labelled {lab!r}")
        lhs, rhs = path.iloc[0]["lhs"], path.iloc[0]["rhs"]
        missing = [v for v in (lhs, rhs) if v not in data.columns]
        if missing:
            raise ValueError(f"data lack the columns {missing}")
        top = [v for v in (lhs, rhs) if v in roles.z]
        if top:
            other = rhs if lhs in top else lhs
            by = used.groupby(cluster)
            ok = by[top[0]].apply(lambda s: s.notna().any()) & by[other].apply(
                lambda s: s.notna().any())
            pairs, units, unit = int(ok.sum()), int(used[cluster].nunique()), "therapists"
        else:
            pairs = int((used[lhs].notna() & used[rhs].notna()).sum())
            units, unit = len(used), "patients"
        rows.append({"label": lab, "lhs": lhs, "rhs": rhs, "unit": unit, "pairs": pairs,
                     "units": units, "coverage": pairs / units if units else 0.0})
    return pd.DataFrame(rows)


def _name(variable: str) -> str:
    """The reader's label of a model variable (:data:`mcbi.paper.mechanism.model.VARIABLES`)."""
    return VARIABLES.get(variable, variable)


def data_reasons(data: pd.DataFrame, model: str, cluster: str = CLUSTER) -> list[str]:
    """Why the data's structure alone rules out every rung (empty: fit the ladder).

    Looks only at which cells are observed, never at values or estimates: no cluster with
    two units in the model (the within and between parts are not separately identified),
    or too little support for path ``a`` or ``b`` (:func:`path_support`, below
    :data:`MIN_PAIRS` or :data:`MIN_COVERAGE`).
    """
    _, roles = build_partable(model)
    y = [v for v in roles.y if v in data.columns]
    used = data[data[y].notna().any(axis=1)] if y else data.iloc[:0]
    if used.empty:
        return ["no data: no unit has any level-1 variable of the model observed"]
    sizes = used.groupby(cluster).size()
    if sizes.max() < 2:
        return [f"not identified: each of the {len(sizes)} therapists in the model has a "
                "single patient with a change score, so the within- and between-therapist "
                "parts of the patients' changes cannot be separated (a two-level model needs "
                "therapists with two or more patients)"]
    reasons = []
    for r in path_support(data, model, cluster).itertuples():
        if r.pairs < MIN_PAIRS or r.coverage < MIN_COVERAGE:
            reasons.append(
                f"too little data for path {r.label}, {_name(r.rhs)} → {_name(r.lhs)}: "
                f"{r.pairs} of "
                f"{r.units} {r.unit} in the model ({100 * r.coverage:.0f} %) are observed on "
                f"both; the ladder needs at least {MIN_PAIRS} and {100 * MIN_COVERAGE:.0f} %")
    return reasons


def fit_ladder(data: pd.DataFrame, rungs: tuple[Rung, ...] = RUNGS,
               cluster: str = CLUSTER) -> LadderResult:
    """Fit the rungs in order and stop at the first that passes :func:`rung_check`.

    No rung is fitted when :func:`data_reasons` (on the first rung's model) rules the data
    out; every rung then carries those reasons.

    Parameters
    ----------
    data : pandas.DataFrame
        Change data (:func:`mcbi.paper.mechanism.model.change_data`).
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
    try:
        stop = data_reasons(data, rungs[0].model, cluster)
    except ValueError:  # the model cannot be read against the data: each fit says why
        stop = []
    if stop:
        return LadderResult([RungOutcome(r, False, stop) for r in rungs], None, stop)
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
        if ladder.stopped:  # ruled out by the data's structure
            reason = "no rung fitted: " + "; ".join(ladder.stopped)
        else:
            reason = "no rung passed: " + " | ".join(
                f"{o.rung.name}: {'; '.join(o.reasons)}" for o in ladder.outcomes)
        out.update(mechanism_model="", mechanism_model_text="", mechanism_bounds="",
                   mechanism_reason=reason)
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
