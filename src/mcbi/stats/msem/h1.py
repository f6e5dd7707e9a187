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


def _moment_start(table: pd.DataFrame, roles: Roles,
                  data: ClusterData) -> tuple[np.ndarray, np.ndarray]:
    """Start values from the sample moments (Cholesky factors for the between blocks).

    Also returns the typical size of each parameter (the optimiser's scaling): sd_i sd_j
    for a within covariance, the between sd of the variable a Cholesky loading points to,
    the total sd for a mean.
    """
    sw, sb, mu = sample_moments(data)
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
    sd_w, sd_b = np.sqrt(np.diag(sw)), np.sqrt(np.diag(sb))
    total = sd_b.copy()
    total[len(roles.z):] = np.sqrt(np.diag(sw) + np.diag(sb)[len(roles.z):])
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
                chol[key] = np.linalg.cholesky(sb[np.ix_(idx, idx)])
            theta[r.free - 1] = chol[key][block.index(r.rhs), block.index(rhs_of[r.lhs][0])]
    scale[~(np.isfinite(scale) & (scale > 0))] = 1.0
    return theta, scale


def _fit_table(table: pd.DataFrame, roles: Roles, data: ClusterData) -> MomentFit:
    mm = ModelMatrices(table, roles)
    start, scale = _moment_start(table, roles, data)
    opt = optimize(mm, data, start, newton_steps=2, scale=scale)
    sw, phi, mu = mm.implied(opt.theta)
    return MomentFit(opt, mm.npar, sw, phi, mu)


def fit_saturated(roles: Roles, data: ClusterData) -> MomentFit:
    """Fit the unrestricted model: free Σ_W, between covariance of (z, y) and means."""
    return _fit_table(*saturated_partable(roles), data)


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
