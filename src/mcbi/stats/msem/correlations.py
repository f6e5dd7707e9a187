"""Covariances bounded through their correlation: θ_c = ρ · s_a · s_b, ρ ∈ [−1, 1].

With ``bounds="pos.var"`` every free covariance ``a ~~ b`` whose two variances ``a ~~ a``
and ``b ~~ b`` (same level) are free parameters is estimated as a correlation ρ in
[−1, 1] times the two standard deviations, so the implied (residual) covariance matrix of
every such pair stays positive semi-definite during estimation, not only checked
afterwards. The bounded optimiser (:func:`~.bounds.optimize_bounded`) works in an
*internal* vector u that equals θ except that each such covariance is replaced by its
correlation ρ and each variance involved by its standard deviation s = sqrt(θ_v) (box
bounded below by sqrt of the variance's lower bound). Standard deviations rather than
variances keep the map smooth where a variance reaches 0 (ρ · sqrt(θ_a θ_b) has an
infinite slope there, which traps the optimiser in that corner). Estimates, standard
errors and every report stay in the natural parameters θ.

This is the same semantics as lavaan's ``bounds = "standard"`` / ``"wide"``, which bound a
covariance through the variances of its two variables (|correlation| ≤ 1), applied on top
of ``"pos.var"``. Not bounded this way (left unbounded, as before): covariances sharing a
label with another parameter (equality constraints) and covariances one of whose
variances is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CorrelationMap", "correlation_map"]

ON_BOUND_TOL = 1e-8
"""|ρ| ≥ 1 − ON_BOUND_TOL counts as on the bound ±1."""


@dataclass(frozen=True)
class CorrelationMap:
    """Indices (0-based, in θ) of the bounded covariances and of their two variances."""

    cov: np.ndarray
    var_a: np.ndarray
    var_b: np.ndarray

    def __len__(self) -> int:
        return len(self.cov)

    @property
    def sd(self) -> np.ndarray:
        """Indices of the variances estimated as standard deviations."""
        return np.unique(np.concatenate([self.var_a, self.var_b]))

    def to_internal(self, theta: np.ndarray) -> np.ndarray:
        """θ → u (correlations clipped into [−1, 1]; 0 where a variance is 0)."""
        u = np.array(theta, dtype=float)
        if len(self):
            sd = np.sqrt(np.maximum(theta[self.sd], 0.0))
            u[self.sd] = sd
            root = u[self.var_a] * u[self.var_b]
            with np.errstate(divide="ignore", invalid="ignore"):
                rho = np.where(root > 0, theta[self.cov] / root, 0.0)
            u[self.cov] = np.clip(rho, -1.0, 1.0)
        return u

    def to_natural(self, u: np.ndarray) -> np.ndarray:
        """u → θ."""
        theta = np.array(u, dtype=float)
        if len(self):
            theta[self.sd] = u[self.sd] ** 2
            theta[self.cov] = u[self.cov] * u[self.var_a] * u[self.var_b]
        return theta

    def gradient(self, u: np.ndarray, grad_theta: np.ndarray) -> np.ndarray:
        """Chain rule: ∂f/∂u from ∂f/∂θ at the internal point ``u``."""
        g = np.array(grad_theta, dtype=float)
        if not len(self):
            return g
        gc = grad_theta[self.cov]
        g[self.sd] = 2.0 * u[self.sd] * grad_theta[self.sd]
        g[self.cov] = gc * u[self.var_a] * u[self.var_b]
        np.add.at(g, self.var_a, u[self.cov] * u[self.var_b] * gc)
        np.add.at(g, self.var_b, u[self.cov] * u[self.var_a] * gc)
        return g

    def bounds(self, lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of u (θ's ``lower``, its square root for an sd; ρ in
        [−1, 1])."""
        lo, hi = np.array(lower, dtype=float), np.full(len(lower), np.inf)
        lo[self.sd] = np.sqrt(np.maximum(lo[self.sd], 0.0))
        lo[self.cov], hi[self.cov] = -1.0, 1.0
        return lo, hi

    def scales(self, scale: np.ndarray) -> np.ndarray:
        """Typical sizes of u from those of θ (sqrt for an sd, 1 for a correlation)."""
        out = np.array(scale, dtype=float)
        out[self.sd] = np.sqrt(out[self.sd])
        out[self.cov] = 1.0
        return out

    def on_bound(self, theta: np.ndarray) -> np.ndarray:
        """Mask (over θ) of the bounded covariances whose correlation is ±1.

        A covariance forced to 0 because one of its variances is 0 counts as on the
        bound too (it cannot move).
        """
        mask = np.zeros(len(theta), dtype=bool)
        if len(self):
            root = np.sqrt(np.maximum(theta[self.var_a], 0.0) * np.maximum(theta[self.var_b],
                                                                           0.0))
            mask[self.cov] = np.abs(theta[self.cov]) >= (1.0 - ON_BOUND_TOL) * root
        return mask


def correlation_map(partable: pd.DataFrame, lower: np.ndarray) -> CorrelationMap:
    """The covariances to bound through their correlation (see the module docstring).

    Parameters
    ----------
    partable : pandas.DataFrame
        Parameter table (``lhs, op, rhs, level, free``).
    lower : ndarray
        Lower bounds of θ (:func:`~.bounds.lower_bounds`); a covariance is bounded only
        when both of its variances have a finite lower bound (i.e. with ``"pos.var"``).
    """
    rows = partable[(partable["op"] == "~~") & (partable["free"] > 0)]
    uses = partable.loc[partable["free"] > 0, "free"].value_counts()
    var = {(r.level, r.lhs): r.free - 1 for r in rows.itertuples() if r.lhs == r.rhs}
    cov, va, vb = [], [], []
    for r in rows.itertuples():
        if r.lhs == r.rhs or uses[r.free] > 1:
            continue
        a, b = var.get((r.level, r.lhs)), var.get((r.level, r.rhs))
        if a is None or b is None or not (np.isfinite(lower[a]) and np.isfinite(lower[b])):
            continue
        cov.append(r.free - 1)
        va.append(a)
        vb.append(b)
    return CorrelationMap(np.array(cov, dtype=int), np.array(va, dtype=int),
                          np.array(vb, dtype=int))
