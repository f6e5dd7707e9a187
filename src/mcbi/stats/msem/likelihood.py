"""−2 log L of the two-level normal model and its gradient with respect to Σ_W, Φ and μ.

Complete clusters use sufficient statistics grouped by cluster size; clusters with missing
cells use the density of their observed entries (FIML), batched over clusters of the same
size with unobserved coordinates padded by an identity block.
"""

from __future__ import annotations

import numpy as np

from .data import ClusterData

__all__ = ["minus2logl", "NotPositiveDefinite"]

_LOG2PI = np.log(2.0 * np.pi)
_SINGULAR = 1e-7  # smallest ratio of Cholesky diagonals (condition number about 1e14)


class NotPositiveDefinite(ArithmeticError):
    """An implied covariance matrix is not positive definite."""


def _chol_inv(mats: np.ndarray):
    try:
        chol = np.linalg.cholesky(mats)
    except np.linalg.LinAlgError as exc:
        raise NotPositiveDefinite(str(exc)) from exc
    diag = np.diagonal(chol, axis1=-2, axis2=-1)
    if np.any(diag.min(axis=-1) <= _SINGULAR * diag.max(axis=-1)):
        raise NotPositiveDefinite("numerically singular covariance matrix")
    logdet = 2.0 * np.log(diag).sum(axis=-1)
    inv = np.linalg.inv(mats)
    return logdet, inv


def minus2logl(sigma_w: np.ndarray, phi: np.ndarray, mu: np.ndarray, data: ClusterData,
               gradient: bool = False):
    """Evaluate −2 log L and optionally its gradient.

    Parameters
    ----------
    sigma_w : ndarray (p_y, p_y)
        Within covariance.
    phi : ndarray (q, q)
        Between covariance of (z, y).
    mu : ndarray (q,)
        Means of (z, y).
    data : ClusterData
        Reduced data.
    gradient : bool
        Also return (g_w, g_phi, g_mu) with d(−2 log L) = tr(g_w dΣ_W) + tr(g_phi dΦ)
        + g_muᵀ dμ.

    Raises
    ------
    NotPositiveDefinite
        If Σ_W or a cluster covariance is not positive definite.
    """
    p_y, p_z = data.p_y, data.p_z
    f = 0.0
    g_w = np.zeros((p_y, p_y))
    g_phi = np.zeros_like(phi)
    g_mu = np.zeros_like(mu)
    if data.n_complete_clusters:
        f += data.n_complete_rows * p_y * _LOG2PI + data.n_complete_clusters * p_z * _LOG2PI
        if data.n_within_df > 0:
            logdet, wi = _chol_inv(sigma_w[None])
            wi = wi[0]
            ws = wi @ data.s_pw
            f += data.n_within_df * (logdet[0] + np.trace(ws))
            if gradient:
                g_w += data.n_within_df * (wi - ws @ wi)
        v = np.broadcast_to(phi, (len(data.sizes),) + phi.shape).copy()
        v[:, p_z:, p_z:] += sigma_w[None] / data.sizes[:, None, None]
        logdet, vi = _chol_inv(v)
        d = data.means - mu[None]
        ybar = data.covs + d[:, :, None] * d[:, None, :]
        viy = vi @ ybar
        tr = np.trace(viy, axis1=1, axis2=2)
        f += float(data.counts @ (logdet + tr + p_y * np.log(data.sizes)))
        if gradient:
            gs = data.counts[:, None, None] * (vi - viy @ vi)
            g_phi += gs.sum(axis=0)
            g_w += (gs[:, p_z:, p_z:] / data.sizes[:, None, None]).sum(axis=0)
            g_mu += -2.0 * np.einsum("k,kab,kb->a", data.counts, vi, d)
    if data.groups:
        for grp in data.groups:
            n, lmap = grp["n"], grp["lmap"]
            full = lmap @ phi @ lmap.T
            full.ravel()[grp["within"]] += np.tile(sigma_w.ravel(), n)
            omega = full[None] * grp["mask"] + grp["notmask"]
            r = (grp["x"] - (lmap @ mu)[None]) * grp["obs"]
            logdet, oi = _chol_inv(omega)
            oir = np.einsum("kab,kb->ka", oi, r)
            f += float(logdet.sum() + (oir * r).sum()) + grp["nobs"] * _LOG2PI
            if gradient:
                gj = (oi - oir[:, :, None] * oir[:, None, :]) * grp["mask"]
                gsum = gj.sum(axis=0)
                g_phi += lmap.T @ gsum @ lmap
                blocks = gsum[p_z:, p_z:].reshape(n, p_y, n, p_y)
                g_w += np.einsum("iaib->ab", blocks)
                g_mu += lmap.T @ (-2.0 * (oir * grp["obs"]).sum(axis=0))
    if gradient:
        return f, (g_w, g_phi, g_mu)
    return f
