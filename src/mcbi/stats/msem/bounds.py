"""Box bounds on variances (lavaan's ``bounds = "pos.var"``), correlations within ±1, and a
bounded optimiser.

lavaan's ``bounds = "pos.var"`` gives every free variance (observed and latent, at both
levels) a lower bound of zero. The same is done here, and in addition every free
covariance whose two variances are free parameters of the same level is kept within
correlation ±1 during estimation (:mod:`~.correlations`: the covariance is estimated as
ρ·s_a·s_b with ρ in [−1, 1], as lavaan's ``"standard"`` bounds bound covariances through
the variances). The likelihood is maximised over that box by a projected quasi-Newton
method (L-BFGS-B) followed by Newton steps on the parameters that are not on a bound.
Other covariances (fixed variances, equality constraints) and regressions are not
bounded; whether the implied matrices are positive semi-definite is still checked
afterwards (:func:`admissibility`): bounding each pair's correlation does not by itself
make a whole matrix of three or more variables positive semi-definite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize as sopt

from mcbi.stats.blas import single_thread_blas

from .correlations import CorrelationMap
from .data import ClusterData
from .estimate import _INFEASIBLE, Optimum, _objective
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


def _difference_hessian(fun, x: np.ndarray, free: np.ndarray, step: float = 1e-5):
    """Hessian block of ``fun``'s value over ``free`` by central differences of its gradient."""
    idx = np.flatnonzero(free)
    h = np.zeros((len(idx), len(idx)))
    for col, i in enumerate(idx):
        e = np.zeros_like(x)
        e[i] = step * max(1.0, abs(x[i]))
        h[:, col] = (fun(x + e)[1][idx] - fun(x - e)[1][idx]) / (2 * e[i])
    return 0.5 * (h + h.T)


def _active(u: np.ndarray, g: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Parameters on a bound that the gradient pushes against (KKT-active)."""
    return (on_bound(u, lo) & (g > 0)) | (on_bound(-u, -hi) & (g < 0))


def _snap(fun, u, f, g, lo, hi, width, nfev):
    """Move parameters left just inside a bound they are pushed against onto it (if that
    does not worsen the objective by more than 1e-10)."""
    near_lo = np.isfinite(lo) & (u - lo < width) & (g >= 0) & (u > lo)
    near_hi = np.isfinite(hi) & (hi - u < width) & (g <= 0) & (u < hi)
    if near_lo.any() or near_hi.any():
        cand = np.where(near_lo, lo, np.where(near_hi, hi, u))
        f_new, g_new = fun(cand)
        nfev += 1
        if f_new < _INFEASIBLE and f_new <= f + 1e-10:
            return cand, f_new, g_new, nfev
    return u, f, g, nfev


def optimize_bounded(mm: ModelMatrices, data: ClusterData, theta0: np.ndarray,
                     lower: np.ndarray, max_iter: int = 5000, newton_steps: int = 5,
                     scale: np.ndarray | None = None,
                     correlations: CorrelationMap | None = None) -> Optimum:
    """Maximise the likelihood subject to ``theta >= lower`` (and |correlations| <= 1).

    L-BFGS-B (projected gradient, analytic gradient) from ``theta0`` clipped into the box,
    then Newton steps restricted to the parameters off their bound (a parameter leaves
    the active set if the gradient pulls it inside). Converged when the projected gradient
    of −log L is below 1e-3 in absolute value. L-BFGS-B works on θ / ``scale`` (see
    :func:`~.starts.parameter_scales`; default 1). With ``correlations`` (see
    :mod:`~.correlations`) the optimisation runs in the internal vector u in which each of
    those covariances is a correlation in [−1, 1]; the result is returned in θ.
    """
    n = data.n_total
    cmap = correlations if correlations is not None else correlation_map_empty()
    base = _objective(mm, data, 1.0 / (2.0 * n))

    def fun(u):
        value, grad = base(cmap.to_natural(u))
        return value, cmap.gradient(u, grad)

    lo, hi = cmap.bounds(lower)
    u = np.minimum(np.maximum(cmap.to_internal(np.maximum(theta0, lower)), lo), hi)
    sc = cmap.scales(np.ones_like(u) if scale is None else np.asarray(scale, dtype=float))
    # a standard deviation starting exactly at 0 would sit on a stationary point
    sd = cmap.sd
    u[sd] = np.maximum(u[sd], lo[sd] + 1e-3 * sc[sd])
    if fun(u)[0] >= _INFEASIBLE:
        from .likelihood import NotPositiveDefinite

        raise NotPositiveDefinite("start values give a non-positive-definite implied matrix")

    def scaled(x):
        value, grad = fun(x * sc)
        return value, grad * sc

    box = [(a / s if np.isfinite(a) else None, b / s if np.isfinite(b) else None)
           for a, b, s in zip(lo, hi, sc, strict=True)]
    with single_thread_blas():
        res = sopt.minimize(scaled, u / sc, jac=True, method="L-BFGS-B", bounds=box,
                            options={"maxiter": max_iter, "maxfun": 4 * max_iter,
                                     "ftol": 1e-12, "gtol": 1e-7, "maxcor": 20})
    u, nit, nfev = np.minimum(np.maximum(res.x * sc, lo), hi), int(res.nit), int(res.nfev)
    f, g = fun(u)
    width = _SNAP * np.maximum(1.0, np.abs(cmap.to_internal(np.asarray(theta0, float))))
    width[sd] = np.sqrt(width[sd])  # an sd s near its bound 0 is a variance s² nearer still
    u, f, g, nfev = _snap(fun, u, f, g, lo, hi, width, nfev)
    for _ in range(newton_steps):
        active = _active(u, g, lo, hi)
        pg = np.where(active, 0.0, g) * n
        if np.max(np.abs(pg), initial=0.0) < 1e-5:
            break
        free = ~active
        hess = _difference_hessian(fun, u, free) * n
        nfev += 2 * int(free.sum())
        try:
            step_f = np.linalg.solve(hess, -g[free] * n)
        except np.linalg.LinAlgError:
            break
        step = np.zeros_like(u)
        step[free] = step_f
        t, improved = 1.0, False
        while t > 1e-4:
            cand = np.minimum(np.maximum(u + t * step, lo), hi)
            f_new, g_new = fun(cand)
            nfev += 1
            if f_new < _INFEASIBLE and f_new <= f + 1e-12:
                u, f, g, improved = cand, f_new, g_new, True
                break
            t *= 0.5
        nit += 1
        if not improved:
            break
    u, f, g, nfev = _snap(fun, u, f, g, lo, hi, width, nfev)
    active = _active(u, g, lo, hi)
    max_g = float(np.max(np.abs(np.where(active, 0.0, g) * n), initial=0.0))
    converged = bool(f < _INFEASIBLE and max_g < 1e-3)
    msg = ("converged" if converged else
           f"not converged: {res.message}; max|projected grad| = {max_g:.2g}")
    return Optimum(cmap.to_natural(u), float(f * 2 * n), nit, nfev, max_g, converged, msg)


def correlation_map_empty() -> CorrelationMap:
    """A map that bounds no covariance (u = θ)."""
    empty = np.zeros(0, dtype=int)
    return CorrelationMap(empty, empty, empty)


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
