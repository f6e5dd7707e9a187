"""Saturated (H1) and independence (baseline) two-level models, and ICCs.

Both are ordinary parameter tables (only ``~~`` and ``~1`` rows), estimated with the same
likelihood and optimiser as the user's model, so they need no separate EM code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import ClusterData
from .estimate import Optimum, optimize, sample_moments
from .matrices import ModelMatrices
from .partable import Roles, baseline_partable, saturated_partable

__all__ = ["MomentFit", "fit_saturated", "fit_baseline", "icc"]


@dataclass
class MomentFit:
    """A fitted saturated or baseline model."""

    optimum: Optimum
    npar: int
    sigma_w: np.ndarray
    phi: np.ndarray
    mu: np.ndarray

    @property
    def logl(self) -> float:
        """Log-likelihood at the optimum."""
        return -0.5 * self.optimum.minus2ll


def _moment_start(table: pd.DataFrame, roles: Roles, data: ClusterData,
                  moments: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start values (Cholesky factors for the between blocks) and parameter scales.

    The start comes from ``moments`` (Σ_W, Φ, μ, e.g. implied by a fitted model) if given,
    else from the sample moments. The typical size of each parameter (the optimiser's
    scaling) always comes from the sample moments: sd_i sd_j for a within covariance,
    the between sd of the variable a Cholesky loading points to, the total sd for a mean.
    """
    sw, sb, mu = sample_moments(data)
    sd_w, sd_b = np.sqrt(np.diag(sw)), np.sqrt(np.diag(sb))
    total = sd_b.copy()
    total[len(roles.z):] = np.sqrt(np.diag(sw) + np.diag(sb)[len(roles.z):])
    if moments is not None:
        sw, sb, mu = moments
    y, between = roles.y, roles.between_vars
    loads = table[table["op"] == "=~"]
    rhs_of = {lat: list(g) for lat, g in loads.groupby("lhs", sort=False)["rhs"]}
    # the first factor of a block loads on every variable of the block
    block_of = {}
    for rhs in sorted(rhs_of.values(), key=len):
        for v in rhs:
            block_of[v] = rhs
    chol = {}
    theta = np.zeros(int(table["free"].max()))
    scale = np.ones_like(theta)
    for r in table[table["free"] > 0].itertuples():
        if r.op == "~~" and r.level == 1:
            i, j = y.index(r.lhs), y.index(r.rhs)
            theta[r.free - 1] = sw[i, j]
            scale[r.free - 1] = sd_w[i] * sd_w[j]
        elif r.op == "~1":
            theta[r.free - 1] = mu[between.index(r.lhs)]
            scale[r.free - 1] = total[between.index(r.lhs)]
        elif r.op == "=~":
            scale[r.free - 1] = sd_b[between.index(r.rhs)]
            block = block_of[rhs_of[r.lhs][0]]
            key = tuple(block)
            if key not in chol:
                idx = [between.index(v) for v in block]
                chol[key] = _psd_cholesky(sb[np.ix_(idx, idx)])
            theta[r.free - 1] = chol[key][block.index(r.rhs), block.index(rhs_of[r.lhs][0])]
    scale[~(np.isfinite(scale) & (scale > 0))] = 1.0
    return theta, scale


def _psd_cholesky(mat: np.ndarray) -> np.ndarray:
    """Cholesky factor of ``mat`` with its eigenvalues floored at 1e-3 × the largest
    diagonal (a start value only: implied between matrices may be singular)."""
    w, v = np.linalg.eigh(0.5 * (mat + mat.T))
    floor = 1e-3 * max(float(np.max(np.diag(mat), initial=0.0)), 1e-8)
    return np.linalg.cholesky((v * np.maximum(w, floor)) @ v.T)


def _fit_table(table: pd.DataFrame, roles: Roles, data: ClusterData,
               moments: tuple | None = None) -> MomentFit:
    mm = ModelMatrices(table, roles)
    start, scale = _moment_start(table, roles, data, moments)
    opt = optimize(mm, data, start, newton_steps=2, scale=scale)
    sw, phi, mu = mm.implied(opt.theta)
    return MomentFit(opt, mm.npar, sw, phi, mu)


def fit_saturated(roles: Roles, data: ClusterData, moments: tuple | None = None,
                  floor: float | None = None) -> MomentFit:
    """Fit the unrestricted model: free Σ_W, between covariance of (z, y) and means.

    Parameters
    ----------
    roles, data
        The model's variables and the reduced data.
    moments : tuple, optional
        (Σ_W, Φ, μ) implied by a fitted model: the start (close to the saturated optimum
        when the model fits, so BFGS needs fewer iterations). Default: sample moments.
    floor : float, optional
        log L of that fitted model. The saturated maximum cannot lie below it; if the
        fit from ``moments`` does (a poorer local optimum or no convergence), the model
        is refitted from the sample moments and the better of the two kept.
    """
    table, h1_roles = saturated_partable(roles)
    fitted = _fit_table(table, h1_roles, data, moments)
    if moments is None or (fitted.optimum.converged and (floor is None
                                                         or fitted.logl >= floor - 1e-6)):
        return fitted
    plain = _fit_table(table, h1_roles, data)
    return plain if plain.logl > fitted.logl else fitted


def fit_baseline(roles: Roles, data: ClusterData) -> MomentFit:
    """Fit the independence model (variances and means only, at both levels)."""
    return _fit_table(*baseline_partable(roles), data)


def icc(h1: MomentFit, roles: Roles) -> pd.Series:
    """Intraclass correlations of the level-1 variables from the saturated model.

    ICC = σ²_B / (σ²_W + σ²_B); 0 for within-only variables.
    """
    p_z = len(roles.z)
    between = np.diag(h1.phi)[p_z:]
    within = np.diag(h1.sigma_w)
    return pd.Series(between / (between + within), index=roles.y, name="icc")
