"""The profiled ML deviance as a function of theta (lme4's ``mkLmerDevfun`` stage).

``theta`` holds the relative standard deviations of the random effects (random-effect SD /
residual SD), lme4's parameterisation; the fixed effects and the residual variance are
profiled out. The objects below only evaluate the deviance; minimising it is
:mod:`mcbi.stats.lmm.optimize`'s job.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from mcbi.stats.lmm.frame import ModelFrame

__all__ = ["CrossedDeviance", "NestedDeviance", "make_deviance"]

_LOG_2PI = float(np.log(2.0 * np.pi))
_ERRORS = (linalg.LinAlgError, FloatingPointError, ValueError)


def _profile_out(Q: np.ndarray, logdet: float, p: int, n: int,
                 beta0: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
    """Profile beta and sigma^2 out of the Gram matrix ``Q = [X y]' V^-1 [X y]``.

    Returns the ML deviance, beta, sigma^2 and ``(X' V^-1 X)^-1`` (relative scale).
    """
    chol = linalg.cho_factor(Q[:p, :p])
    delta = linalg.cho_solve(chol, Q[:p, p])
    rss = max(float(Q[p, p] - Q[:p, p] @ delta), np.finfo(float).tiny)
    sigma2 = rss / n
    dev = logdet + n * (1.0 + _LOG_2PI + np.log(sigma2))
    xvx_inv = linalg.cho_solve(chol, np.eye(p))
    return dev, beta0 + delta, sigma2, xvx_inv


class NestedDeviance:
    """Profiled ML deviance of the nested random-intercept model.

    With ``Sigma = I + a * sum_c J_c + b * sum_s J_s`` (``a = theta_cluster^2``,
    ``b = theta_subject^2``; ``J`` all-ones blocks), ``Sigma^-1`` and ``log|Sigma|`` follow
    from Sherman-Morrison applied twice: first within subjects, then within clusters.
    ``theta = (subject,)`` (two levels, ``clus`` None) or ``(cluster, subject)``. The
    deviance is even in every theta, so the sign of theta is irrelevant.

    Parameters
    ----------
    X, y : numpy.ndarray
        Design matrix and outcomes.
    subj, clus : numpy.ndarray
        Integer codes from 0 of subjects (unique over clusters) and clusters (or None).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, subj: np.ndarray,
                 clus: np.ndarray | None):
        self.X, self.n, self.p = X, X.shape[0], X.shape[1]
        # Work with OLS residuals in place of y: same profiled deviance, less cancellation.
        self.beta0 = np.linalg.lstsq(X, y, rcond=None)[0]
        M = np.column_stack([X, y - X @ self.beta0])
        self.MtM = M.T @ M
        n_subj = int(subj.max()) + 1
        self.n_s = np.bincount(subj, minlength=n_subj).astype(float)
        self.SM = np.zeros((n_subj, M.shape[1]))
        np.add.at(self.SM, subj, M)
        if clus is None:
            self.subj_clus = None
        else:
            self.subj_clus = np.zeros(n_subj, dtype=int)
            self.subj_clus[subj] = clus
            self.n_clus = int(clus.max()) + 1
        self.k = 1 if clus is None else 2  # number of theta values

    def parts(self, theta: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Deviance, beta, sigma^2 and ``(X' Sigma^-1 X)^-1`` at ``theta``."""
        b = float(theta[-1]) ** 2
        g = 1.0 / (1.0 + b * self.n_s)  # Sigma_s^-1 1 = g_s 1 within subject s
        Q = self.MtM - self.SM.T @ ((b * g)[:, None] * self.SM)
        logdet = -float(np.sum(np.log(g)))
        if self.subj_clus is not None:
            a = float(theta[0]) ** 2
            T = np.zeros((self.n_clus, self.SM.shape[1]))
            np.add.at(T, self.subj_clus, g[:, None] * self.SM)
            m = np.bincount(self.subj_clus, weights=self.n_s * g, minlength=self.n_clus)
            h = a / (1.0 + a * m)
            Q = Q - T.T @ (h[:, None] * T)
            logdet += float(np.sum(np.log1p(a * m)))
        return _profile_out(Q, logdet, self.p, self.n, self.beta0)

    def deviance(self, theta: np.ndarray) -> float:
        """ML deviance (``-2 log L`` with beta and sigma^2 profiled out); inf if undefined."""
        try:
            return self.parts(theta)[0]
        except _ERRORS:
            return np.inf

    def __call__(self, theta: np.ndarray) -> float:
        return self.deviance(theta)


class CrossedDeviance(NestedDeviance):
    """Profiled ML deviance with a cluster x time intercept as well (``cluster_time``).

    ``Sigma = A + sum_j W_j D W_j'`` with ``A = I + b * sum_s J_s`` (subjects; inverted in
    closed form as in :class:`NestedDeviance`) and, per cluster ``j``, ``W_j = [1, E_j]``: a
    column of ones (cluster intercept) and one indicator column per wave (cluster x time
    intercepts), ``D = diag(a, c, ..., c)`` with ``a = theta_cluster^2``,
    ``b = theta_subject^2``, ``c = theta_cluster_time^2`` (``cluster_time=True``), or
    ``D = diag(a, c_1, ..., c_T)`` with one ``c_t = theta_cluster_time[t]^2`` per wave
    (``by_time=True``, ``cluster_time="by_time"``). Woodbury's identity in the
    symmetric form of lme4 (``D^(1/2)`` on both sides, so a zero variance is no problem):

        Sigma^-1 = A^-1 - A^-1 W D^(1/2) C^-1 D^(1/2) W' A^-1,
        log|Sigma| = log|A| + log|C|,   C = I + D^(1/2) W' A^-1 W D^(1/2),

    where ``C`` is block diagonal with one ``(1 + T) x (1 + T)`` block per cluster (``T``
    waves), factored by a batched Cholesky decomposition. ``theta = (cluster, subject,
    cluster_time)`` or ``(cluster, subject, cluster_time[1], ..., cluster_time[T])``.

    Parameters
    ----------
    X, y, subj, clus : numpy.ndarray
        As in :class:`NestedDeviance` (``clus`` required).
    tcode : numpy.ndarray
        Wave codes ``0 .. n_times - 1``.
    n_times : int
        Number of waves.
    by_time : bool, default False
        One cluster x time variance per wave.
    """

    def __init__(
        self, X: np.ndarray, y: np.ndarray, subj: np.ndarray, clus: np.ndarray,
        tcode: np.ndarray, n_times: int, by_time: bool = False,
    ):
        super().__init__(X, y, subj, clus)
        M = np.column_stack([X, y - X @ self.beta0])
        n_subj, P = self.SM.shape
        K = 1 + n_times
        W = np.zeros((self.n, K))
        W[:, 0] = 1.0
        W[np.arange(self.n), 1 + tcode] = 1.0
        self.K = K
        self.WtW = np.zeros((self.n_clus, K, K))
        np.add.at(self.WtW, clus, W[:, :, None] * W[:, None, :])
        self.WtM = np.zeros((self.n_clus, K, P))
        np.add.at(self.WtM, clus, W[:, :, None] * M[:, None, :])
        w_s = np.zeros((n_subj, K))  # W' 1_s per subject
        np.add.at(w_s, subj, W)
        self.ww = (w_s[:, :, None] * w_s[:, None, :]).reshape(n_subj, K * K)
        self.wm = (w_s[:, :, None] * self.SM[:, None, :]).reshape(n_subj, K * P)
        self.ind = np.zeros((self.n_clus, n_subj))  # cluster x subject incidence
        self.ind[self.subj_clus, np.arange(n_subj)] = 1.0
        self.by_time = by_time
        self.k = 2 + n_times if by_time else 3

    def _gram(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """``Q = [X, r]' Sigma^-1 [X, r]`` and ``log|Sigma|`` at ``theta``."""
        b = float(theta[1]) ** 2
        g = 1.0 / (1.0 + b * self.n_s)
        bg = b * g
        Q = self.MtM - self.SM.T @ (bg[:, None] * self.SM)
        logdet = -float(np.sum(np.log(g)))
        K, P = self.K, self.SM.shape[1]
        G = self.WtW - (self.ind @ (bg[:, None] * self.ww)).reshape(-1, K, K)  # W'A^-1 W
        R = self.WtM - (self.ind @ (bg[:, None] * self.wm)).reshape(-1, K, P)  # W'A^-1 M
        d = np.empty(K)
        d[0] = abs(float(theta[0]))
        d[1:] = np.abs(np.asarray(theta[2:], dtype=float))  # one value or one per wave
        C = np.eye(K) + d[:, None] * G * d[None, :]
        L = np.linalg.cholesky(C)
        Y = np.linalg.solve(L, d[:, None] * R)  # L^-1 D^(1/2) W' A^-1 M
        Q = Q - np.einsum("jkp,jkq->pq", Y, Y)
        logdet += 2.0 * float(np.sum(np.log(np.diagonal(L, axis1=1, axis2=2))))
        return Q, logdet

    def deviance(self, theta: np.ndarray) -> float:
        """ML deviance at ``theta``; inf if undefined."""
        # The last diagonal entry of the Cholesky factor of Q is sqrt(rss): one call, no
        # beta and no inverse (the optimiser only needs the deviance).
        try:
            Q, logdet = self._gram(theta)
            rss = float(np.linalg.cholesky(Q)[-1, -1]) ** 2
        except _ERRORS:
            return super().deviance(theta)  # e.g. a perfect fit: rss = 0
        if not rss > 0.0:
            return super().deviance(theta)
        return logdet + self.n * (1.0 + _LOG_2PI + np.log(rss / self.n))

    def parts(self, theta: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Deviance, beta, sigma^2 and ``(X' Sigma^-1 X)^-1`` at ``theta``."""
        Q, logdet = self._gram(theta)
        return _profile_out(Q, logdet, self.p, self.n, self.beta0)


def make_deviance(frame: ModelFrame) -> NestedDeviance:
    """The profiled deviance of ``frame``'s model: a :class:`NestedDeviance` or, with
    ``cluster_time``, a :class:`CrossedDeviance` (theta in the order of
    ``frame.theta_names``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mcbi.stats.lmm.frame import model_frame
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 60), "wave": np.tile([0, 1, 2], 40)})
    >>> df["y"] = np.repeat(rng.normal(size=40), 3) + rng.normal(size=120)
    >>> devfun = make_deviance(model_frame(df, "y", "arm", "wave", "id"))
    >>> bool(devfun(np.array([1.0])) < devfun(np.array([0.0])))
    True
    """
    if frame.cluster_time:
        return CrossedDeviance(frame.X, frame.y, frame.subject_code, frame.cluster_code,
                               frame.time_code, len(frame.time_levels),
                               by_time=frame.cluster_time == "by_time")
    return NestedDeviance(frame.X, frame.y, frame.subject_code, frame.cluster_code)
