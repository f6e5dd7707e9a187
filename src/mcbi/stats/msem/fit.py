"""Public entry point: :func:`fit`, which returns an :class:`~.result.MSEMResult`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .data import ClusterData, prepare_data
from .defined import DefinedParameters
from .estimate import Optimum, hessian, optimize, start_values
from .h1 import fit_baseline, fit_saturated, icc
from .likelihood import NotPositiveDefinite
from .matrices import ModelMatrices
from .measures import fit_measures, plain_numbers
from .partable import build_partable
from .result import MSEMResult, MSEMWarning

__all__ = ["fit"]

_Z975 = stats.norm.ppf(0.975)


def fit(model: str, data: pd.DataFrame, cluster: str, missing: str = "ml", *,
        se: bool = True, saturated: bool = True, max_iter: int = 5000) -> MSEMResult:
    """Fit a two-level SEM by (full-information) maximum likelihood.

    Parameters
    ----------
    model : str
        lavaan model syntax with ``level: 1`` and ``level: 2`` blocks.
    data : pandas.DataFrame
        One row per level-1 unit, in any order.
    cluster : str
        Name of the cluster column.
    missing : {"ml", "listwise"}
        FIML over all observed cells (default) or listwise deletion.
    se : bool
        Compute standard errors (observed information).
    saturated : bool
        Also fit the saturated and baseline models, needed for the chi-square test, CFI,
        TLI, RMSEA, SRMR and the ICCs (otherwise ``fit_measures`` has only ``logl``,
        ``npar``, ``aic``, ``bic``, ``ntotal``, ``nclusters``).
    max_iter : int
        Iteration limit of the optimiser (BFGS iterations plus Newton steps).

    Returns
    -------
    MSEMResult

    Examples
    --------
    >>> res = fit("level: 1\\n y ~ x\\nlevel: 2\\n y ~ w", df, cluster="g")  # doctest: +SKIP
    >>> res.estimates[["lhs", "op", "rhs", "level", "estimate", "se"]]  # doctest: +SKIP
    """
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")
    table, roles = build_partable(model)
    defined = DefinedParameters(table)
    cdata = prepare_data(data, cluster, roles, missing)
    mm = ModelMatrices(table, roles)
    theta0 = start_values(table, mm, cdata)
    try:
        opt = optimize(mm, cdata, theta0, max_iter=max_iter)
    except NotPositiveDefinite as exc:
        raise ValueError(f"cannot start the optimiser: {exc}") from exc
    notes: list[str] = []
    if not opt.converged:
        notes.append(f"optimiser did not converge ({opt.message})")
    vcov = np.full((mm.npar, mm.npar), np.nan)
    if se:
        vcov = _vcov(hessian(mm, cdata, opt.theta), notes)
    est = _estimates(table, mm, opt.theta, vcov, defined)
    table = mm.fill(table.copy(), theta0, "start")
    table["est"], table["se"] = est["estimate"].to_numpy(), est["se"].to_numpy()
    sw, phi, _ = mm.implied(opt.theta)
    bidx = mm.levels[2]["target"]
    notes += _check_solution(est, sw, phi[np.ix_(bidx, bidx)])
    measures, iccs = _basic_measures(opt, mm.npar, cdata), pd.Series(dtype=float)
    if saturated:
        try:
            h1, base = fit_saturated(roles, cdata), fit_baseline(roles, cdata)
        except NotPositiveDefinite as exc:
            notes.append(f"saturated/baseline model could not be fitted ({exc}); "
                         "no chi-square test, fit indices or ICCs")
        else:
            for name, mf in (("saturated", h1), ("baseline", base)):
                if not mf.optimum.converged:
                    notes.append(f"{name} model did not converge ({mf.optimum.message})")
            measures = fit_measures(-0.5 * opt.minus2ll, mm.npar, h1, base, sw, phi, bidx,
                                    cdata.n_total, cdata.n_clusters)
            iccs = icc(h1, roles)
    for note in notes:
        warnings.warn(note, MSEMWarning, stacklevel=2)
    return MSEMResult(est, measures, iccs, bool(opt.converged), int(opt.iterations),
                      float(opt.max_gradient),
                      notes, opt.theta, vcov, roles, table, defined, opt)


def _basic_measures(opt: Optimum, npar: int, cdata: ClusterData) -> dict:
    logl = -0.5 * opt.minus2ll
    return plain_numbers({"logl": logl, "npar": npar, "aic": -2 * logl + 2 * npar,
                          "bic": -2 * logl + npar * np.log(cdata.n_total),
                          "ntotal": cdata.n_total, "nclusters": cdata.n_clusters})


def _vcov(hess: np.ndarray, notes: list[str]) -> np.ndarray:
    eig = np.linalg.eigvalsh(hess)
    if not np.all(np.isfinite(eig)) or eig.min() <= 0:
        notes.append("observed information matrix is not positive definite: the model may "
                     "not be identified; standard errors are not available")
        return np.full_like(hess, np.nan)
    cond = eig.max() / eig.min()
    if cond > 1e12:
        notes.append(f"observed information is nearly singular (condition {cond:.1e})")
    return np.linalg.inv(hess)


def _estimates(table: pd.DataFrame, mm: ModelMatrices, theta: np.ndarray, vcov: np.ndarray,
               defined: DefinedParameters) -> pd.DataFrame:
    out = table.copy()
    mm.fill(out, theta, "estimate")
    free = out["free"].to_numpy()
    se = np.zeros(len(out))
    se[free > 0] = np.sqrt(np.maximum(np.diag(vcov), 0.0))[free[free > 0] - 1]
    is_def = (out["op"] == ":=").to_numpy()
    if is_def.any():
        out.loc[is_def, "estimate"] = defined.evaluate(theta)
        se[is_def] = defined.delta_se(theta, vcov) if np.isfinite(vcov).all() else np.nan
    if not np.isfinite(vcov).all():
        se[free > 0] = np.nan
    out["se"] = se
    fixed = (free == 0) & ~is_def
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(fixed, np.nan, out["estimate"] / np.where(se > 0, se, np.nan))
    out["statistic"] = z
    out["pvalue"] = 2.0 * stats.norm.sf(np.abs(z))
    out["ci_lower"] = out["estimate"] - _Z975 * out["se"]
    out["ci_upper"] = out["estimate"] + _Z975 * out["se"]
    out["level"] = out["level"].where(~is_def, pd.NA).astype("Int64")
    out.loc[is_def, "free"] = 0
    cols = ["lhs", "op", "rhs", "level", "label", "free", "estimate", "se", "statistic", "pvalue",
            "ci_lower", "ci_upper"]
    return out[cols]


def _check_solution(est: pd.DataFrame, sigma_w: np.ndarray, phi_b: np.ndarray) -> list[str]:
    notes = []
    var = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & (est["free"] > 0)]
    for r in var.itertuples():
        where = f"{r.lhs} ~~ {r.lhs} (level {r.level})"
        if r.estimate < 0:
            notes.append(f"Heywood case: negative variance {where} = {r.estimate:.4g}")
        elif r.level == 2 and (r.estimate < 1e-4 or (np.isfinite(r.se) and r.estimate < r.se)):
            notes.append(f"near-zero between-level variance {where} = {r.estimate:.4g} "
                         f"(SE {r.se:.3g})")
    for name, mat in (("within", sigma_w), ("between", phi_b)):
        if mat.size and np.linalg.eigvalsh(mat).min() <= 0:
            notes.append(f"model-implied {name} covariance matrix is not positive definite")
    return notes
