"""Box bounds on variances (lavaan's ``bounds = "pos.var"``) and a bounded optimiser.

lavaan's ``bounds = "pos.var"`` gives every free variance (observed and latent, at both
levels) a lower bound of zero and leaves every other parameter unbounded. The same is done
here: the likelihood is maximised over the box θ_k ≥ 0 for those parameters by a projected
quasi-Newton method (L-BFGS-B) followed by Newton steps on the parameters that are not on
a bound. Covariances are not bounded; whether the implied matrices are positive
semi-definite (correlations within ±1) is checked afterwards (:func:`admissibility`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize as sopt

from .data import ClusterData
from .estimate import _INFEASIBLE, Optimum, _objective, hessian
from .matrices import ModelMatrices
from .partable import Roles

__all__ = ["BOUNDS", "lower_bounds", "optimize_bounded", "on_bound", "admissibility"]

BOUNDS = (None, "pos.var")
"""Accepted values of the ``bounds`` argument of :func:`~.fit.fit`."""

_ON_BOUND_TOL = 1e-8
_SNAP = 1e-5
SINGULAR_FLOOR = 1e-4
"""Relative lower bound of variances whose zero would make an implied matrix singular."""


def lower_bounds(partable: pd.DataFrame, npar: int, bounds: str | None,
                 roles: Roles | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """Lower bound of every free parameter (``-inf`` where unbounded).

    Parameters
    ----------
    partable : pandas.DataFrame
        Parameter table (``op``, ``lhs``, ``rhs``, ``level``, ``free``).
    npar : int
        Number of free parameters.
    bounds : {None, "pos.var"}
        ``"pos.var"``: free variances (``x ~~ x``) at both levels are bounded below by 0.
    roles : Roles, optional
        The model's variables. With ``start``, the variances whose zero would make the
        likelihood degenerate (level-1 variances, because Σ_W must be positive definite,
        and variances of between-only observed variables) are bounded below by
        ``SINGULAR_FLOOR`` × their start value instead of 0. Between-level variances of
        variables with a within part keep the bound 0 (Σ_B + Σ_W / n stays positive
        definite).
    start : ndarray, optional
        Start values (scale of the variances).
    """
    if bounds not in BOUNDS:
        raise ValueError(f"bounds must be one of {BOUNDS}, got {bounds!r}")
    lower = np.full(npar, -np.inf)
    if bounds == "pos.var":
        var = partable[(partable["op"] == "~~") & (partable["lhs"] == partable["rhs"])
                       & (partable["free"] > 0)]
        lower[var["free"].to_numpy(dtype=int) - 1] = 0.0
        if roles is not None and start is not None:
            z = set(roles.z)
            for r in var.itertuples():
                if r.level == 1 or r.lhs in z:
                    lower[r.free - 1] = SINGULAR_FLOOR * abs(start[r.free - 1])
    return lower


def on_bound(theta: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Boolean mask of the parameters sitting on their lower bound."""
    fin = np.isfinite(lower)
    tol = _ON_BOUND_TOL * np.maximum(1.0, np.abs(np.where(fin, lower, 0.0)))
    return fin & (theta <= np.where(fin, lower, 0.0) + tol)


def optimize_bounded(mm: ModelMatrices, data: ClusterData, theta0: np.ndarray,
                     lower: np.ndarray, max_iter: int = 5000, newton_steps: int = 5,
                     scale: np.ndarray | None = None) -> Optimum:
    """Maximise the likelihood subject to ``theta >= lower``.

    L-BFGS-B (projected gradient, analytic gradient) from ``theta0`` clipped into the box,
    then Newton steps restricted to the parameters off their bound (a parameter leaves
    the active set if the gradient pulls it inside). Converged when the projected gradient
    of −log L is below 1e-3 in absolute value. L-BFGS-B works on θ / ``scale`` (see
    :func:`~.starts.parameter_scales`; default 1).
    """
    n = data.n_total
    fun = _objective(mm, data, 1.0 / (2.0 * n))
    theta = np.maximum(np.asarray(theta0, dtype=float), lower)
    if fun(theta)[0] >= _INFEASIBLE:
        from .likelihood import NotPositiveDefinite

        raise NotPositiveDefinite("start values give a non-positive-definite implied matrix")
    sc = np.ones_like(theta) if scale is None else np.asarray(scale, dtype=float)

    def scaled(u):
        value, grad = fun(u * sc)
        return value, grad * sc

    box = [(lo / s if np.isfinite(lo) else None, None) for lo, s in zip(lower, sc, strict=True)]
    res = sopt.minimize(scaled, theta / sc, jac=True, method="L-BFGS-B", bounds=box,
                        options={"maxiter": max_iter, "maxfun": 4 * max_iter,
                                 "ftol": 1e-12, "gtol": 1e-7, "maxcor": 20})
    theta, nit, nfev = np.maximum(res.x * sc, lower), int(res.nit), int(res.nfev)
    f, g = fun(theta)
    # snap parameters that L-BFGS-B left just inside a bound they are pushed against
    near = (np.isfinite(lower) & (theta - lower < _SNAP * np.maximum(1.0, np.abs(theta0)))
            & (g > 0) & (theta > lower))
    if near.any():
        cand = np.where(near, lower, theta)
        f_new, g_new = fun(cand)
        nfev += 1
        if f_new < _INFEASIBLE and f_new <= f + 1e-10:
            theta, f, g = cand, f_new, g_new
    for _ in range(newton_steps):
        active = on_bound(theta, lower) & (g > 0)
        pg = np.where(active, 0.0, g) * n
        if np.max(np.abs(pg), initial=0.0) < 1e-5:
            break
        free = ~active
        hess = hessian(mm, data, theta)[np.ix_(free, free)]
        nfev += 2 * len(theta)
        try:
            step_f = np.linalg.solve(hess, -g[free] * n)
        except np.linalg.LinAlgError:
            break
        step = np.zeros_like(theta)
        step[free] = step_f
        t, improved = 1.0, False
        while t > 1e-4:
            cand = np.maximum(theta + t * step, lower)
            f_new, g_new = fun(cand)
            nfev += 1
            if f_new < _INFEASIBLE and f_new <= f + 1e-12:
                theta, f, g, improved = cand, f_new, g_new, True
                break
            t *= 0.5
        nit += 1
        if not improved:
            break
    active = on_bound(theta, lower) & (g > 0)
    max_g = float(np.max(np.abs(np.where(active, 0.0, g) * n), initial=0.0))
    converged = bool(f < _INFEASIBLE and max_g < 1e-3)
    msg = ("converged" if converged else
           f"not converged: {res.message}; max|projected grad| = {max_g:.2g}")
    return Optimum(theta, float(f * 2 * n), nit, nfev, max_g, converged, msg)


def admissibility(est: pd.DataFrame, sigma_w: np.ndarray, phi_b: np.ndarray,
                  tol: float = 1e-8) -> list[str]:
    """Reasons why a solution is not admissible (empty list: admissible).

    Admissible means: no negative variance estimate, a positive-definite model-implied
    within covariance matrix and a positive semi-definite between covariance matrix (a
    between variance exactly on the zero bound is admissible; a correlation beyond ±1 is
    not).
    """
    reasons = []
    var = est[(est["op"] == "~~") & (est["lhs"] == est["rhs"]) & (est["free"] > 0)]
    for r in var.itertuples():
        if r.estimate < -tol:
            reasons.append(f"negative variance {r.lhs} ~~ {r.lhs} (level {r.level}) = "
                           f"{r.estimate:.4g}")
    if sigma_w.size and np.linalg.eigvalsh(sigma_w).min() <= 0:
        reasons.append("model-implied within covariance matrix is not positive definite")
    if phi_b.size:
        eig = np.linalg.eigvalsh(phi_b)
        if eig.min() < -tol * max(1.0, float(np.abs(eig).max())):
            reasons.append("model-implied between covariance matrix is not positive "
                           "semi-definite")
    return reasons
