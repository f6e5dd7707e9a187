"""Public entry point: :func:`fit`, which returns an :class:`~.result.MSEMResult`."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .bounds import admissibility, lower_bounds, on_bound, optimize_bounded
from .correlations import correlation_map
from .data import ClusterData, prepare_data
from .defined import DefinedParameters
from .estimate import Optimum, hessian, optimize
from .h1 import fit_baseline, fit_saturated, icc
from .likelihood import NotPositiveDefinite
from .matrices import ModelMatrices
from .measures import fit_measures, plain_numbers
from .partable import build_partable
from .result import MSEMResult, MSEMWarning
from .starts import parameter_scales, start_points

__all__ = ["fit"]

def fit(model: str, data: pd.DataFrame, cluster: str, missing: str = "ml", *,
        se: bool = True, saturated: bool = True, max_iter: int = 5000,
        bounds: str | None = None, starts: str | Sequence = "default",
        level: float = 0.95) -> MSEMResult:
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
        Iteration limit of the optimiser (BFGS iterations plus Newton steps); the
        likelihood is evaluated at most 20 × ``max_iter`` times per start.
    bounds : {None, "pos.var"}
        ``None`` (default): unrestricted maximum likelihood. ``"pos.var"`` (as lavaan's
        ``bounds = "pos.var"``): every free variance at both levels is bounded below by 0,
        and every free covariance whose two variances are free parameters of the same
        level is kept within ±1 as a correlation (it is estimated as ρ·sqrt(v_a v_b) with
        ρ in [−1, 1]; see :mod:`~.correlations`). Parameters that end on a bound (a
        variance at 0, a covariance at correlation ±1) are flagged in ``at_bound``; they
        get no standard error, Wald test or interval, and the other standard errors come
        from the information of the interior parameters (the bound ones held fixed).
    starts : str or sequence
        ``"default"`` (one start, the default), ``"multi"`` (the three starts of
        :data:`~.starts.START_NAMES`) or a sequence of start names and/or vectors. Every
        start is optimised to convergence (or the iteration limit); the best admissible
        optimum among the converged runs is kept (else the best converged, else the
        best); every run is listed in the result's ``starts``. Without bounds, the
        Hessian at the first converged optimum (needed for the standard errors anyway)
        is BFGS's initial curvature for the later starts, which then need a fraction of
        the iterations; it is reused for the standard errors when the kept optimum is
        the same point (relative difference ≤ 1e-6).
    level : float
        Confidence level of the Wald intervals ``ci_lower``, ``ci_upper``.

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
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    table, roles = build_partable(model)
    defined = DefinedParameters(table)
    mm = ModelMatrices(table, roles)
    lower_bounds(table, mm.npar, bounds)  # validates ``bounds`` before touching the data
    cdata = prepare_data(data, cluster, roles, missing)
    points = start_points(starts, table, mm, cdata)
    lower = lower_bounds(table, mm.npar, bounds, roles, points[0][1])
    scale = parameter_scales(table, mm, cdata)
    cmap = correlation_map(table, lower)
    theta0, opt, runs, (hess_at, hess_val) = _best_run(table, mm, cdata, points, lower,
                                                       max_iter, scale, se, cmap)
    notes: list[str] = []
    if not opt.converged:
        notes.append(f"optimiser did not converge ({opt.message})")
    bound = on_bound(opt.theta, lower) | cmap.on_bound(opt.theta)
    vcov = np.full((mm.npar, mm.npar), np.nan)
    if se:
        reuse = hess_at is not None and np.max(
            np.abs(opt.theta - hess_at) / np.maximum(1.0, np.abs(opt.theta)),
            initial=0.0) <= _SAME_OPTIMUM
        vcov = _vcov(hess_val if reuse else hessian(mm, cdata, opt.theta), notes, bound)
    est = _estimates(table, mm, opt.theta, vcov, defined, level, bound)
    at_bound = pd.Series(_row_mask(est, bound), index=est.index, name="at_bound")
    table = mm.fill(table.copy(), theta0, "start")
    table["est"], table["se"] = est["estimate"].to_numpy(), est["se"].to_numpy()
    sw, phi, mu = mm.implied(opt.theta)
    bidx = mm.levels[2]["target"]
    phi_b = phi[np.ix_(bidx, bidx)]
    notes += _check_solution(est, sw, phi_b)
    for r in est[at_bound].itertuples():
        where = "its lower bound 0" if r.lhs == r.rhs else "the bound |correlation| = 1"
        notes.append(f"{r.lhs} ~~ {r.rhs} (level {r.level}) is on {where}: no "
                     "standard error, test or interval for it")
    inadmissible = admissibility(est, sw, phi_b)
    measures, iccs = _basic_measures(opt, mm.npar, cdata), pd.Series(dtype=float)
    if saturated:
        try:
            h1 = fit_saturated(roles, cdata, moments=(sw, phi, mu),
                               floor=-0.5 * opt.minus2ll)
            base = fit_baseline(roles, cdata)
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
                      notes, opt.theta, vcov, roles, table, defined, opt,
                      admissible=not inadmissible, inadmissible=inadmissible,
                      at_bound=at_bound, starts=_start_table(runs, opt.theta),
                      bounds=bounds, level=level, lower=lower)


_SAME_OPTIMUM = 1e-6
"""Largest relative parameter difference at which the Hessian computed at one start's
optimum is reused for the standard errors at another start's (numerically equal)
optimum."""


def _best_run(table, mm, cdata, points, lower, max_iter, scale, se=True, cmap=None):
    """Optimise from every start; keep the best admissible converged optimum.

    Unbounded, with several starts: the Hessian at the first converged optimum (needed
    for the standard errors anyway) preconditions BFGS from the remaining starts. Returns
    (start vector, optimum, runs, (point, Hessian) or (None, None)).
    """
    runs = []
    errors = []
    hess_at = hess_val = None
    for name, th0 in points:
        try:
            if np.all(np.isinf(lower)):
                opt = optimize(mm, cdata, th0, max_iter=max_iter, max_eval=20 * max_iter,
                               scale=scale, hess0=hess_val)
                if (hess_val is None and opt.converged and len(points) > 1
                        and (se or len(runs) + 1 < len(points))):
                    hess_at, hess_val = opt.theta.copy(), hessian(mm, cdata, opt.theta)
            else:
                opt = optimize_bounded(mm, cdata, th0, lower, max_iter=max_iter, scale=scale,
                                       correlations=cmap)
        except NotPositiveDefinite as exc:
            errors.append(f"{name}: {exc}")
            continue
        sw, phi, _ = mm.implied(opt.theta)
        bidx = mm.levels[2]["target"]
        est = mm.fill(table[table["op"] != ":="].copy(), opt.theta, "estimate")
        ok = not admissibility(est, sw, phi[np.ix_(bidx, bidx)])
        runs.append((name, th0, opt, ok))
    if not runs:
        raise ValueError("cannot start the optimiser: " + "; ".join(errors))

    def rank(run):
        _, _, opt, ok = run
        return (not (opt.converged and ok), not opt.converged, opt.minus2ll)

    name, th0, opt, _ = min(runs, key=rank)
    return th0, opt, runs, (hess_at, hess_val)


def _start_table(runs, theta: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "start": [r[0] for r in runs],
        "converged": [bool(r[2].converged) for r in runs],
        "admissible": [bool(r[3]) for r in runs],
        "logl": [-0.5 * r[2].minus2ll for r in runs],
        "max_abs_diff": [float(np.max(np.abs(r[2].theta - theta), initial=0.0))
                         for r in runs],
        "message": [r[2].message for r in runs],
    })


def _row_mask(est: pd.DataFrame, bound: np.ndarray) -> np.ndarray:
    free = est["free"].to_numpy()
    mask = np.zeros(len(est), dtype=bool)
    mask[free > 0] = bound[free[free > 0] - 1]
    return mask


def _basic_measures(opt: Optimum, npar: int, cdata: ClusterData) -> dict:
    logl = -0.5 * opt.minus2ll
    return plain_numbers({"logl": logl, "npar": npar, "aic": -2 * logl + 2 * npar,
                          "bic": -2 * logl + npar * np.log(cdata.n_total),
                          "ntotal": cdata.n_total, "nclusters": cdata.n_clusters})


def _vcov(hess: np.ndarray, notes: list[str], bound: np.ndarray) -> np.ndarray:
    """Inverse information of the interior parameters (zero rows/columns for bound ones)."""
    keep = ~bound
    full = np.zeros_like(hess)
    if not keep.any():
        return full
    hess = hess[np.ix_(keep, keep)]
    eig = np.linalg.eigvalsh(hess)
    if not np.all(np.isfinite(eig)) or eig.min() <= 0:
        notes.append("observed information matrix is not positive definite: the model may "
                     "not be identified; standard errors are not available")
        return np.full_like(full, np.nan)
    cond = eig.max() / eig.min()
    if cond > 1e12:
        notes.append(f"observed information is nearly singular (condition {cond:.1e})")
    full[np.ix_(keep, keep)] = np.linalg.inv(hess)
    return full


def _estimates(table: pd.DataFrame, mm: ModelMatrices, theta: np.ndarray, vcov: np.ndarray,
               defined: DefinedParameters, level: float, bound: np.ndarray) -> pd.DataFrame:
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
    se[_row_mask(out, bound)] = np.nan
    out["se"] = se
    fixed = (free == 0) & ~is_def
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(fixed, np.nan, out["estimate"] / np.where(se > 0, se, np.nan))
    out["statistic"] = z
    out["pvalue"] = 2.0 * stats.norm.sf(np.abs(z))
    crit = stats.norm.ppf(0.5 + level / 2.0)
    out["ci_lower"] = out["estimate"] - crit * out["se"]
    out["ci_upper"] = out["estimate"] + crit * out["se"]
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
