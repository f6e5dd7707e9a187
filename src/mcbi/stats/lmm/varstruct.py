"""The marginal covariance of a fitted model as a linear structure, and its derivatives.

All random effects of :func:`~mcbi.stats.lmm.fit_lmm`'s models are independent scalar
intercepts, so the marginal covariance of the outcomes is linear in the variances,

    V = sum_m psi_m G_m,

with ``psi`` the variance components in the order of ``LMMResult.variance_components``
(random effects, then the residual) and ``G_m = Z_m Z_m'`` the 0/1 matrix of pairs of
observations that share a level of component ``m`` (the identity for the residual). This is
pbkrtest's ``get_SigmaG`` representation. ``V`` is block diagonal: one block per cluster
(three levels) or per subject (two levels); blocks of equal size are stacked and handled in
one batched operation, so nothing of size ``nobs x nobs`` is ever formed.

:class:`VarianceStructure` evaluates, at given ``psi``, the pieces the small-sample methods
of :mod:`mcbi.stats.lmm.ddf` need (:class:`Pieces`): ``Phi = (X' V^-1 X)^-1``,
``P_m = -X' V^-1 G_m V^-1 X``, ``Q_ml = X' V^-1 G_m V^-1 G_l V^-1 X``,
``tr(V^-1 G_m V^-1 G_l)``, and the gradient and observed Hessian in ``psi`` of the ML
deviance or the REML criterion (``-2`` log-likelihood with beta profiled out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mcbi.stats.lmm.frame import ModelFrame

__all__ = ["Pieces", "VarianceStructure"]


@dataclass(frozen=True)
class Pieces:
    """Derivative pieces of the linear covariance structure at one ``psi``.

    Attributes
    ----------
    phi : numpy.ndarray
        ``(X' V^-1 X)^-1`` (``p x p``), the covariance of the GLS estimate of beta.
    P : numpy.ndarray
        ``P[m] = -X' V^-1 G_m V^-1 X`` (``k x p x p``; ``d(X' V^-1 X) / d psi_m``).
    Q : numpy.ndarray
        ``Q[m, l] = X' V^-1 G_m V^-1 G_l V^-1 X`` (``k x k x p x p``).
    ktrace : numpy.ndarray
        ``tr(V^-1 G_m V^-1 G_l)`` (``k x k``).
    trace : numpy.ndarray
        ``tr(V^-1 G_m)`` (``k``).
    quad : numpy.ndarray
        ``u' G_m u`` (``k``) with ``u = V^-1 (y - X beta)``, beta the GLS estimate.
    yterm : numpy.ndarray
        ``y' R G_m R G_l R y`` (``k x k``), ``R = V^-1 - V^-1 X Phi X' V^-1``.
    """

    phi: np.ndarray
    P: np.ndarray
    Q: np.ndarray
    ktrace: np.ndarray
    trace: np.ndarray
    quad: np.ndarray
    yterm: np.ndarray

    @property
    def info2(self) -> np.ndarray:
        """``tr(R G_m R G_l)``: twice the expected REML information (pbkrtest's ``IE2``)."""
        phi, P = self.phi, self.P
        PhiP = np.einsum("ab,mbc->mac", phi, P)
        return (self.ktrace - 2.0 * np.einsum("ab,mlab->ml", phi, self.Q)
                + np.einsum("mab,lba->ml", PhiP, PhiP))

    def gradient(self, reml: bool) -> np.ndarray:
        """Gradient of the deviance (REML criterion) in ``psi``."""
        tr = self.trace
        if reml:  # tr(R G_m) = tr(V^-1 G_m) + tr(Phi P_m)
            tr = tr + np.einsum("ab,mba->m", self.phi, self.P)
        return tr - self.quad

    def hessian(self, reml: bool) -> np.ndarray:
        """Observed Hessian of the deviance (REML criterion) in ``psi``.

        ML: ``-tr(V^-1 G_m V^-1 G_l) + 2 y' R G_m R G_l R y``; REML: ``-tr(R G_m R G_l) +
        2 y' R G_m R G_l R y`` (the covariance is linear in ``psi``: no second-derivative
        term).
        """
        first = self.info2 if reml else self.ktrace
        return -first + 2.0 * self.yterm


class VarianceStructure:
    """``V = sum_m psi_m G_m`` of a model frame, stored as batched blocks.

    Parameters
    ----------
    frame : ModelFrame
        The model frame of the fit.

    Attributes
    ----------
    names : tuple of str
        Components in the order of ``psi``: ``frame.theta_names`` then ``"residual"``.
    groups : list of tuple
        Per block size ``s``: ``(X, y, G)`` of shapes ``(B, s, p)``, ``(B, s)`` and
        ``(k, B, s, s)`` (``B`` blocks of that size).
    rows : list of numpy.ndarray
        Per entry of :attr:`groups`, the frame rows of its blocks, ``(B, s)``.
    """

    def __init__(self, frame: ModelFrame):
        self.names = tuple(frame.theta_names) + ("residual",)
        self.p = frame.X.shape[1]
        block = frame.cluster_code if frame.cluster_code is not None else frame.subject_code
        order = np.argsort(block, kind="stable")
        sizes = np.bincount(block)
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        codes = self._codes(frame)
        self.groups = []  # (X, y, G) per block size: shapes (B, s, p), (B, s), (k, B, s, s)
        self.rows = []  # the frame rows of each group's blocks, (B, s)
        for s in np.unique(sizes[sizes > 0]):
            idx = order[starts[sizes == s][:, None] + np.arange(s)]
            G = np.empty((len(codes) + 1, len(idx), s, s))
            for m, code in enumerate(codes):
                c = code[idx]
                G[m] = (c[:, :, None] == c[:, None, :]) & (c[:, :, None] >= 0)
            G[-1] = np.eye(s)
            self.groups.append((frame.X[idx], frame.y[idx], G))
            self.rows.append(idx)

    @staticmethod
    def _codes(frame: ModelFrame) -> list[np.ndarray]:
        """Per random-effect component, the level of each observation (-1: none)."""
        codes = []
        n_t = len(frame.time_levels)
        for name in frame.theta_names:
            if name == "cluster":
                codes.append(frame.cluster_code)
            elif name == "subject":
                codes.append(frame.subject_code)
            elif name == "cluster_time":
                codes.append(frame.cluster_code * n_t + frame.time_code)
            else:  # cluster_time[<level>]: the wave's own dummy term
                t = [f"cluster_time[{lv}]" for lv in frame.time_levels].index(name)
                codes.append(np.where(frame.time_code == t, frame.cluster_code, -1))
        return codes

    def pieces(self, psi: np.ndarray) -> Pieces:
        """The :class:`Pieces` at variances ``psi`` (in the order of :attr:`names`).

        Raises
        ------
        ValueError
            ``psi`` of the wrong length, or ``V`` not positive definite.
        """
        psi = np.asarray(psi, dtype=float)
        k, p = len(self.names), self.p
        if psi.shape != (k,):
            raise ValueError(f"psi needs {k} values ({', '.join(self.names)}), got {psi.shape}")
        xvx = np.zeros((p, p))
        xvy = np.zeros(p)
        parts = []
        for X, y, G in self.groups:
            V = np.einsum("m,mbij->bij", psi, G)
            try:
                Vi = np.linalg.inv(np.linalg.cholesky(V))
            except np.linalg.LinAlgError as err:
                raise ValueError("the marginal covariance is not positive definite") from err
            Vi = np.matmul(Vi.transpose(0, 2, 1), Vi)
            T = np.matmul(Vi, X)  # V^-1 X
            xvx += np.einsum("bip,biq->pq", X, T)
            xvy += np.einsum("bip,bi->p", T, y)
            parts.append((X, y, G, Vi, T))
        phi = np.linalg.inv(xvx)
        phi = (phi + phi.T) / 2.0
        beta = phi @ xvy
        P = np.zeros((k, p, p))
        Q = np.zeros((k, k, p, p))
        ktrace = np.zeros((k, k))
        trace = np.zeros(k)
        quad = np.zeros(k)
        a_va = np.zeros((k, k))
        ta = np.zeros((k, p))
        for X, y, G, Vi, T in parts:
            u = np.einsum("bij,bj->bi", Vi, y - X @ beta)  # V^-1 e
            H = np.matmul(G, Vi)  # G_m V^-1, (k, B, s, s)
            GT = np.matmul(G, T)  # G_m V^-1 X
            P -= np.einsum("mbip,biq->mpq", GT, T)
            Q += np.einsum("mbip,lbiq->mlpq", GT, np.matmul(Vi, GT))
            ktrace += np.einsum("mbij,lbji->ml", H, H)
            trace += np.einsum("mbii->m", H)
            a = np.einsum("mbij,bj->mbi", G, u)  # G_m u
            quad += np.einsum("mbi,bi->m", a, u)
            Va = np.einsum("bij,mbj->mbi", Vi, a)
            a_va += np.einsum("mbi,lbi->ml", a, Va)
            ta += np.einsum("bip,mbi->mp", T, a)
        yterm = a_va - ta @ phi @ ta.T
        return Pieces(phi=phi, P=P, Q=Q, ktrace=ktrace, trace=trace, quad=quad,
                      yterm=(yterm + yterm.T) / 2.0)
