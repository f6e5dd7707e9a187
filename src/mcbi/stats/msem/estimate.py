"""Start values, optimisation and the observed-information Hessian for one parameter table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import ClusterData
from .likelihood import NotPositiveDefinite, minus2logl
from .matrices import ModelMatrices

# value returned at inadmissible points (implied covariance not positive definite)
_INFEASIBLE = 1e10

__all__ = ["Optimum", "sample_moments", "start_values", "optimize", "hessian"]


@dataclass
class Optimum:
    """Result of maximising the likelihood of one model."""

    theta: np.ndarray
    minus2ll: float
    iterations: int
    evaluations: int
    max_gradient: float
    converged: bool
    message: str


def sample_moments(data: ClusterData):
    """Crude within/between moments (pairwise) used for start values.

    Returns
    -------
    sigma_w, phi, mu : ndarray
        Pooled within covariance, between covariance of (z, y) and means of (z, y).
    """
    y, z, codes = data.y, data.z, data.codes
    j = data.n_clusters
    cm = pd.DataFrame(y).groupby(codes).mean().to_numpy()
    dev = y - cm[codes]
    sw = pd.DataFrame(dev).cov(min_periods=2).to_numpy()
    ratio = (data.n_total - 1) / max(data.n_total - j, 1)
    sw = np.nan_to_num(sw * ratio)
    diag = np.diag(sw).copy()
    diag[diag <= 0] = 1.0
    np.fill_diagonal(sw, diag)
    w, v = np.linalg.eigh(sw)  # pairwise moments need not be positive definite
    sw = (v * np.maximum(w, 1e-3 * diag.max())) @ v.T
    sizes = np.bincount(codes, minlength=j)
    b = np.hstack([z, cm])
    sb = np.nan_to_num(pd.DataFrame(b).cov(min_periods=2).to_numpy())
    p_z = data.p_z
    sb[p_z:, p_z:] -= sw * np.mean(1.0 / sizes)
    d = np.diag(sb).copy()
    floor = 0.05 * np.concatenate([np.diag(sb)[:p_z], diag])
    floor[floor <= 0] = 0.05
    d = np.maximum(d, floor)
    np.fill_diagonal(sb, d)
    w, v = np.linalg.eigh(sb)
    sb = (v * np.maximum(w, 1e-3 * d.max())) @ v.T
    mu = np.nan_to_num(np.concatenate([np.nanmean(z, axis=0) if p_z else np.zeros(0),
                                       np.nanmean(y, axis=0)]))
    return sw, sb, mu


def start_values(partable: pd.DataFrame, mm: ModelMatrices, data: ClusterData) -> np.ndarray:
    """Heuristic start values (lavaan-like) for the free parameters of ``partable``."""
    sw, sb, mu = sample_moments(data)
    roles = mm.roles
    theta = np.zeros(mm.npar)
    seen = np.zeros(mm.npar, dtype=bool)
    for lev in (1, 2):
        obs = roles.observed[lev]
        if lev == 1:
            cov = pd.DataFrame(sw, index=roles.y, columns=roles.y)
            means = dict(zip(roles.y, mu[mm.p_z:], strict=True))
        else:
            names = roles.between_vars
            cov = pd.DataFrame(sb, index=names, columns=names)
            means = dict(zip(names, mu, strict=True))
        rows = partable[partable["level"] == lev]
        reg = rows[rows["op"] == "~"]
        ind = set(rows.loc[rows["op"] == "=~", "rhs"])
        ov_x = {v for v in obs if v not in set(reg["lhs"]) and v not in ind}
        marker = {}
        for lhs, rhs in zip(rows.loc[rows["op"] == "=~", "lhs"],
                            rows.loc[rows["op"] == "=~", "rhs"], strict=True):
            marker.setdefault(lhs, rhs)
        for r in rows.itertuples():
            if r.free == 0 or seen[r.free - 1]:
                continue
            k = r.free - 1
            seen[k] = True
            if not np.isnan(r.start_user):
                theta[k] = r.start_user
            elif r.op == "=~":
                m = marker[r.lhs] if marker[r.lhs] in obs else None
                if m is not None and r.rhs in obs and m != r.rhs:
                    theta[k] = np.clip(cov.loc[r.rhs, m] / (0.5 * cov.loc[m, m]), -5, 5)
                else:
                    theta[k] = 1.0
            elif r.op == "~~" and r.lhs == r.rhs:
                if r.lhs in obs:
                    full = cov.loc[r.lhs, r.lhs]
                    theta[k] = full if r.lhs in ov_x else 0.5 * full
                else:
                    m = marker.get(r.lhs)
                    theta[k] = 0.5 * cov.loc[m, m] if m in obs else 0.05
            elif r.op == "~~":
                if r.lhs in ov_x and r.rhs in ov_x:
                    theta[k] = cov.loc[r.lhs, r.rhs]
            elif r.op == "~1" and r.lhs in obs:
                theta[k] = means[r.lhs]
    return theta


def _objective(mm: ModelMatrices, data: ClusterData, scale: float):
    def fun(theta):
        cache: dict = {}
        try:
            sw, phi, mu = mm.implied(theta, cache)
            f, (gw, gp, gm) = minus2logl(sw, phi, mu, data, gradient=True)
        except (NotPositiveDefinite, np.linalg.LinAlgError):
            return _INFEASIBLE, np.zeros_like(theta)
        return f * scale, mm.gradient(theta, gw, gp, gm, cache) * scale
    return fun


def hessian(mm: ModelMatrices, data: ClusterData, theta: np.ndarray,
            step: float = 1e-5) -> np.ndarray:
    """Hessian of −log L by central differences of the analytic gradient."""
    fun = _objective(mm, data, 0.5)
    k = len(theta)
    h = np.zeros((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step * max(1.0, abs(theta[i]))
        h[:, i] = (fun(theta + e)[1] - fun(theta - e)[1]) / (2 * e[i])
    return 0.5 * (h + h.T)


def bfgs(fun, x0: np.ndarray, max_iter: int = 2000, gtol: float = 1e-9,
         max_eval: int | None = None, hinv0: np.ndarray | None = None):
    """Dense BFGS with backtracking (Armijo) line search.

    ``fun`` returns (value, gradient) and a value >= ``_INFEASIBLE`` at inadmissible
    points, which the line search simply steps back from. Stops after ``max_eval``
    function evaluations if given. ``hinv0``: initial inverse Hessian (default: the
    identity, rescaled after the first step). Returns (x, f, g, iterations, evaluations,
    message).
    """
    x = np.asarray(x0, dtype=float).copy()
    f, g = fun(x)
    nfev = 1
    k = len(x)
    first = hinv0 is None
    hinv = np.eye(k) if hinv0 is None else np.array(hinv0, dtype=float)
    for it in range(1, max_iter + 1):
        if np.max(np.abs(g)) < gtol:
            return x, f, g, it - 1, nfev, "gradient below tolerance"
        if max_eval is not None and nfev >= max_eval:
            return x, f, g, it - 1, nfev, "evaluation limit reached"
        d = -hinv @ g
        slope = g @ d
        if slope >= 0:
            hinv, d = np.eye(k), -g
            slope = g @ d
        t, accepted = 1.0, False
        for _ in range(60):
            f_new, g_new = fun(x + t * d)
            nfev += 1
            if f_new < _INFEASIBLE and f_new <= f + 1e-4 * t * slope:
                accepted = True
                break
            t *= 0.5 if f_new >= _INFEASIBLE else max(
                0.1, min(0.5, -slope * t / (2.0 * (f_new - f - slope * t))))
        if not accepted:
            return x, f, g, it, nfev, "line search failed"
        s_, y_ = t * d, g_new - g
        x, f_old, f, g = x + s_, f, f_new, g_new
        sy = s_ @ y_
        if sy > 1e-14:
            if first:
                hinv = np.eye(k) * (sy / (y_ @ y_))
                first = False
            rho = 1.0 / sy
            hy = hinv @ y_
            hinv = (hinv - rho * (np.outer(s_, hy) + np.outer(hy, s_))
                    + (rho * rho * (y_ @ hy) + rho) * np.outer(s_, s_))
        if abs(f_old - f) <= 1e-16 * max(1.0, abs(f)) and np.max(np.abs(g)) < 1e3 * gtol:
            return x, f, g, it, nfev, "no further progress"
    return x, f, g, max_iter, nfev, "iteration limit reached"


def _initial_inverse(hess: np.ndarray | None, sc: np.ndarray, n: int) -> np.ndarray | None:
    """Inverse Hessian of −log L / n in the scaled coordinates θ / sc, or None if not PD."""
    if hess is None or not np.all(np.isfinite(hess)):
        return None
    h = hess * np.outer(sc, sc) / n
    try:
        chol = np.linalg.cholesky(0.5 * (h + h.T))
    except np.linalg.LinAlgError:
        return None
    inv_chol = np.linalg.inv(chol)
    return inv_chol.T @ inv_chol


def optimize(mm: ModelMatrices, data: ClusterData, theta0: np.ndarray,
             max_iter: int = 5000, newton_steps: int = 3,
             max_eval: int | None = None, scale: np.ndarray | None = None,
             hess0: np.ndarray | None = None) -> Optimum:
    """Maximise the likelihood: BFGS with the analytic gradient, then Newton steps.

    BFGS works on θ / ``scale`` (typical sizes of the parameters, see
    :func:`~.starts.parameter_scales`; default 1): with the variables' units divided out
    the problem is far better conditioned and BFGS needs several times fewer evaluations.
    ``hess0`` (optional): Hessian of −log L at a nearby point, e.g. the optimum found from
    another start; if positive definite its inverse is BFGS's initial inverse Hessian,
    which saves most of the iterations BFGS otherwise spends learning the curvature.
    The Newton steps (Hessian by differences of the analytic gradient) are taken only while
    max |∂ log L / ∂θ| exceeds 1e-4 after BFGS.
    """
    n = data.n_total
    fun = _objective(mm, data, 1.0 / (2.0 * n))
    f0 = fun(theta0)[0]
    if f0 >= _INFEASIBLE:
        raise NotPositiveDefinite("start values give a non-positive-definite implied matrix")
    sc = np.ones(len(theta0)) if scale is None else np.asarray(scale, dtype=float)

    def scaled(u):
        value, grad = fun(u * sc)
        return value, grad * sc

    u, f, g, nit, nfev, message = bfgs(scaled, np.asarray(theta0, dtype=float) / sc,
                                       max_iter=max_iter, max_eval=max_eval,
                                       hinv0=_initial_inverse(hess0, sc, n))
    theta, g = u * sc, g / sc
    for _ in range(min(newton_steps, max(max_iter - nit, 0))):
        if np.max(np.abs(g * n)) < 1e-4:
            break
        hess = hessian(mm, data, theta)  # of -logL
        nfev += 2 * len(theta)
        try:
            step = np.linalg.solve(hess, -g * n)
        except np.linalg.LinAlgError:
            break
        t = 1.0
        improved = False
        while t > 1e-4:
            f_new, g_new = fun(theta + t * step)
            nfev += 1
            if f_new < _INFEASIBLE and f_new <= f + 1e-12:
                theta, f, g = theta + t * step, f_new, g_new
                improved = True
                break
            t *= 0.5
        nit += 1
        if not improved:
            break
    max_g = float(np.max(np.abs(g * n))) if len(g) else 0.0
    converged = bool(f < _INFEASIBLE and max_g < 1e-3)
    msg = "converged" if converged else f"not converged: {message}; max|grad| = {max_g:.2g}"
    return Optimum(theta, float(f * 2 * n), nit, nfev, max_g, converged, msg)
