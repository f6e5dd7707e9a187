"""The profiled ML or REML deviance as a function of theta (lme4's ``mkLmerDevfun`` stage).

``theta`` holds the relative standard deviations of the random effects (random-effect SD /
residual SD), lme4's parameterisation; the fixed effects and the residual variance are
profiled out. With ``reml=True`` the criterion is lme4's REML criterion

    log|Sigma| + log|X' Sigma^-1 X| + (n - p) (1 + log(2 pi rss / (n - p))),

(``Sigma`` the relative covariance, ``rss`` the GLS residual sum of squares in the metric
``Sigma^-1``), i.e. the ML profiled deviance with ``n`` replaced by ``n - p`` and the term
``log|X' Sigma^-1 X|`` added; the residual variance is then ``rss / (n - p)``. The objects
below only evaluate the deviance; minimising it is :mod:`mcbi.stats.lmm.optimize`'s job.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg

from mcbi.stats.lmm.frame import ModelFrame

__all__ = ["CrossedDeviance", "NestedDeviance", "make_deviance"]

_LOG_2PI = float(np.log(2.0 * np.pi))
_ERRORS = (linalg.LinAlgError, FloatingPointError, ValueError)


def _profile_out(Q: np.ndarray, logdet: float, p: int, n: int, beta0: np.ndarray,
                 reml: bool = False) -> tuple[float, np.ndarray, float, np.ndarray]:
    """Profile beta and sigma^2 out of the Gram matrix ``Q = [X y]' V^-1 [X y]``.

    Returns the ML (or REML) deviance, beta, sigma^2 and ``(X' V^-1 X)^-1`` (relative scale).
    """
    dev, sigma2, chol, delta = _profiled_deviance(Q, logdet, p, n, reml)
    xvx_inv = linalg.cho_solve(chol, np.eye(p))
    return dev, beta0 + delta, sigma2, xvx_inv


def _criterion(logdet: float, logdet_x: float, rss: float, p: int, n: int,
               reml: bool) -> float:
    """ML deviance or REML criterion from ``log|Sigma|``, ``log|X' Sigma^-1 X|`` and rss."""
    if reml:
        m = n - p
        return logdet + logdet_x + m * (1.0 + _LOG_2PI + np.log(rss / m))
    return logdet + n * (1.0 + _LOG_2PI + np.log(rss / n))


def _profiled_deviance(Q: np.ndarray, logdet: float, p: int, n: int,
                       reml: bool = False) -> tuple:
    """The deviance, sigma^2, the Cholesky factor of ``Q[:p, :p]`` and beta - beta0."""
    chol = linalg.cho_factor(Q[:p, :p])
    delta = linalg.cho_solve(chol, Q[:p, p])
    rss = max(float(Q[p, p] - Q[:p, p] @ delta), np.finfo(float).tiny)
    logdet_x = 2.0 * float(np.sum(np.log(np.diagonal(chol[0])))) if reml else 0.0
    sigma2 = rss / (n - p if reml else n)
    dev = _criterion(logdet, logdet_x, rss, p, n, reml)
    return dev, sigma2, chol, delta


class NestedDeviance:
    """Profiled ML (or REML) deviance of the nested random-intercept model.

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
    reml : bool, default False
        REML criterion instead of the ML deviance (see the module docstring).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, subj: np.ndarray,
                 clus: np.ndarray | None, reml: bool = False):
        self.X, self.n, self.p = X, X.shape[0], X.shape[1]
        self.reml = bool(reml)
        if self.reml and self.n <= self.p:
            raise ValueError(f"REML needs more observations ({self.n}) than fixed effects "
                             f"({self.p})")
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

    def _gram(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """``Q = [X, r]' Sigma^-1 [X, r]`` and ``log|Sigma|`` at ``theta``."""
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
        return Q, logdet

    def parts(self, theta: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Deviance, beta, sigma^2 and ``(X' Sigma^-1 X)^-1`` at ``theta``."""
        Q, logdet = self._gram(theta)
        return _profile_out(Q, logdet, self.p, self.n, self.beta0, self.reml)

    def deviance(self, theta: np.ndarray) -> float:
        """ML deviance (``-2 log L`` with beta and sigma^2 profiled out) or REML criterion;
        inf if undefined.

        The same arithmetic as ``parts(theta)[0]``, without beta's covariance.
        """
        try:
            Q, logdet = self._gram(theta)
            return _profiled_deviance(Q, logdet, self.p, self.n, self.reml)[0]
        except _ERRORS:
            return np.inf

    def __call__(self, theta: np.ndarray) -> float:
        return self.deviance(theta)


class CrossedDeviance(NestedDeviance):
    """Profiled ML (or REML) deviance with a cluster x time intercept as well
    (``cluster_time``).

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
    cluster_time)`` or ``(cluster, subject, cluster_time[1], ..., cluster_time[T])``. The
    same blocks give the gradient (:meth:`deviance_and_gradient`, for L-BFGS-B) at about
    twice the cost of one deviance.

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
    reml : bool, default False
        REML criterion instead of the ML deviance.
    """

    def __init__(
        self, X: np.ndarray, y: np.ndarray, subj: np.ndarray, clus: np.ndarray,
        tcode: np.ndarray, n_times: int, by_time: bool = False, reml: bool = False,
    ):
        super().__init__(X, y, subj, clus, reml)
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
        # Per subject, outer(w_s, [w_s, M' 1_s]) (K x (K + P)), sorted by cluster so that
        # sums over the subjects of each cluster are one np.add.reduceat.
        self._order = np.argsort(self.subj_clus, kind="stable")
        sorted_clus = self.subj_clus[self._order]
        self._seg = np.flatnonzero(np.r_[True, sorted_clus[1:] != sorted_clus[:-1]])
        self._present = sorted_clus[self._seg]  # clusters with a subject (all, in practice)
        self.w_s, self._ws_sorted = w_s, w_s[self._order]
        wm = np.concatenate([w_s, self.SM], axis=1)
        self._wwm = (w_s[:, :, None] * wm[:, None, :])[self._order].reshape(n_subj, -1)
        self._WtWM = np.concatenate([self.WtW, self.WtM], axis=2)
        self.by_time = by_time
        self.k = 2 + n_times if by_time else 3

    def _cluster_sums(self, weighted: np.ndarray) -> np.ndarray:
        """Sums over the subjects of each cluster of rows in cluster-sorted order."""
        sums = np.add.reduceat(weighted, self._seg, axis=0)
        if len(self._present) == self.n_clus:
            return sums
        out = np.zeros((self.n_clus, weighted.shape[1]))
        out[self._present] = sums
        return out

    def _gram(self, theta: np.ndarray) -> tuple[np.ndarray, float]:
        """``Q = [X, r]' Sigma^-1 [X, r]`` and ``log|Sigma|`` at ``theta``."""
        Q, logdet, _ = self._woodbury(theta, False)
        return Q, logdet

    def _woodbury(self, theta: np.ndarray, grad: bool) -> tuple[np.ndarray, float, tuple]:
        """``Q``, ``log|Sigma|`` and, with ``grad``, the pieces the gradient needs: ``g``
        (``A^-1 1_s = g_s 1_s``), per cluster ``G = W' A^-1 W``, ``R = W' A^-1 M``,
        ``B = D^(1/2) C^-1 D^(1/2)`` and ``V = sum_s g_s^2 w_s w_s'`` (``w_s = W' 1_s``)."""
        b = float(theta[1]) ** 2
        g = 1.0 / (1.0 + b * self.n_s)
        bg = b * g
        Q = self.MtM - self.SM.T @ (bg[:, None] * self.SM)
        logdet = -float(np.sum(np.log(g)))
        K, P = self.K, self.SM.shape[1]
        # [W'A^-1 W, W'A^-1 M] per cluster
        GR = self._WtWM - self._cluster_sums(bg[self._order, None] * self._wwm).reshape(
            -1, K, K + P)
        d = np.empty(K)
        d[0] = abs(float(theta[0]))
        d[1:] = np.abs(np.asarray(theta[2:], dtype=float))  # one value or one per wave
        dGR = d[:, None] * GR
        C = dGR[:, :, :K] * d + np.eye(K)
        L = np.linalg.cholesky(C)
        logdet += 2.0 * float(np.sum(np.log(np.diagonal(L, axis1=1, axis2=2))))
        if not grad:
            Y = np.linalg.solve(L, dGR[:, :, K:]).reshape(-1, P)  # L^-1 D^(1/2) W' A^-1 M
            return Q - Y.T @ Y, logdet, ()
        # one solve for L^-1 [D^(1/2), D^(1/2) R]: B = D^(1/2) C^-1 D^(1/2) as well
        rhs = np.concatenate([np.broadcast_to(np.diag(d), (len(C), K, K)), dGR[:, :, K:]],
                             axis=2)
        Y = np.linalg.solve(L, rhs)
        YD, YR = Y[:, :, :K], Y[:, :, K:].reshape(-1, P)
        B = np.matmul(YD.transpose(0, 2, 1), YD)
        g2 = g[self._order] ** 2
        V = self._cluster_sums(g2[:, None] * (self._ws_sorted[:, :, None]
                                              * self._ws_sorted[:, None, :]).reshape(-1, K * K))
        return Q - YR.T @ YR, logdet, (g, GR[:, :, :K], GR[:, :, K:], B, V.reshape(-1, K, K))

    def deviance(self, theta: np.ndarray) -> float:
        """ML deviance (or REML criterion) at ``theta``; inf if undefined."""
        # The last diagonal entry of the Cholesky factor of Q is sqrt(rss), the first p
        # give log|X' Sigma^-1 X|: one call, no beta and no inverse (the optimiser only
        # needs the deviance).
        try:
            Q, logdet = self._gram(theta)
            LQ = np.linalg.cholesky(Q)
            rss = float(LQ[-1, -1]) ** 2
        except _ERRORS:
            return super().deviance(theta)  # e.g. a perfect fit: rss = 0
        if not rss > 0.0:
            return super().deviance(theta)
        return _criterion(logdet, self._logdet_x(LQ), rss, self.p, self.n, self.reml)

    def _logdet_x(self, LQ: np.ndarray) -> float:
        """``log|X' Sigma^-1 X|`` from the Cholesky factor of ``Q`` (0 for ML)."""
        if not self.reml:
            return 0.0
        return 2.0 * float(np.sum(np.log(np.diagonal(LQ)[:self.p])))

    def deviance_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """ML deviance (or REML criterion) and its gradient in theta; ``(inf, 0)`` if
        undefined.

        With ``e`` the GLS residual (beta profiled out), ``rss = e' Sigma^-1 e`` and ``v_k =
        theta_k^2`` the variance whose all-ones-like blocks ``z z'`` (one per cluster,
        subject or cluster x wave cell) make up ``dSigma / dv_k``:

            d dev / d v_k = sum_z (z' Sigma^-1 z - n / rss * (z' Sigma^-1 e)^2),

        (the derivative of ``log|Sigma|`` plus that of ``n log(rss)``; beta's dependence on
        theta drops out at its optimum) and ``d dev / d theta_k = 2 theta_k d dev / d v_k``.
        For REML, ``n`` becomes ``n - p`` and the derivative of ``log|X' Sigma^-1 X|``,
        ``-sum_z z' Sigma^-1 X (X' Sigma^-1 X)^-1 X' Sigma^-1 z``, is added.
        """
        theta = np.asarray(theta, dtype=float)
        dev, grad_v = self.variance_gradient(theta)
        if not np.isfinite(dev):
            return np.inf, np.zeros(len(theta))
        return dev, 2.0 * theta * grad_v

    def variance_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """ML deviance and its gradient in the relative variances ``theta^2``; ``(inf, 0)``
        if undefined. Unlike the gradient in theta, it does not vanish at ``theta = 0``."""
        theta = np.asarray(theta, dtype=float)
        try:
            with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
                return self._variance_gradient(theta)
        except _ERRORS:
            return np.inf, np.zeros(len(theta))

    def _variance_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        Q, logdet, (g, G, R, B, V) = self._woodbury(theta, True)
        p = self.p
        LQ = np.linalg.cholesky(Q)
        rss = float(LQ[p, p]) ** 2
        if not rss > 0.0:
            raise FloatingPointError("zero residual sum of squares")
        dev = _criterion(logdet, self._logdet_x(LQ), rss, p, self.n, self.reml)
        u = np.append(-np.linalg.solve(LQ[:p, :p].T, LQ[p, :p]), 1.0)  # [-delta, 1]
        scale = (self.n - p if self.reml else self.n) / rss
        # columns of W: sum over clusters of diag(W' Sigma^-1 W) - scale (W' Sigma^-1 e)^2,
        # with W' Sigma^-1 W = G - G B G and W' Sigma^-1 e = R u - G B R u
        Re = R @ u
        BRe = np.einsum("jkl,jl->jk", B, Re)
        s = Re - np.einsum("jkl,jl->jk", G, BRe)
        GB = np.matmul(G, B)
        gw = (np.einsum("jkk->k", G) - np.einsum("jkl,jkl->k", GB, G)
              - scale * np.einsum("jk,jk->k", s, s))
        # subjects: 1_s' Sigma^-1 1_s = n_s g_s - g_s^2 w_s' B w_s,
        # 1_s' Sigma^-1 e = g_s (1_s' r - w_s' B R u), r the residual column of M
        es = g * (self.SM @ u - np.einsum("sk,sk->s", self.w_s, BRe[self.subj_clus]))
        gb = float(self.n_s @ g - np.einsum("jkl,jkl->", B, V) - scale * (es @ es))
        if self.reml:  # d log|X' Sigma^-1 X| / d v = -sum_z z' Sigma^-1 X A^-1 X' Sigma^-1 z
            Li = linalg.solve_triangular(LQ[:p, :p], np.eye(p), lower=True)  # A = L L'
            RX = R[:, :, :p]
            SX = RX - np.matmul(G, np.matmul(B, RX))  # W' Sigma^-1 X per cluster
            gw = gw - np.einsum("jki,jki->k", *(2 * [SX @ Li.T]))
            BRX = np.matmul(B, RX)[self.subj_clus]  # per subject: B R_X of its cluster
            ex = g[:, None] * (self.SM[:, :p] - np.einsum("sk,skq->sq", self.w_s, BRX))
            gb -= float(np.sum((ex @ Li.T) ** 2))
        gv = np.empty(len(theta))
        gv[0], gv[1] = gw[0], gb
        gv[2:] = gw[1:] if self.by_time else np.sum(gw[1:])
        return dev, gv

def make_deviance(frame: ModelFrame, reml: bool = False) -> NestedDeviance:
    """The profiled deviance of ``frame``'s model: a :class:`NestedDeviance` or, with
    ``cluster_time``, a :class:`CrossedDeviance` (theta in the order of
    ``frame.theta_names``); the REML criterion with ``reml=True``.

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
                               by_time=frame.cluster_time == "by_time", reml=reml)
    return NestedDeviance(frame.X, frame.y, frame.subject_code, frame.cluster_code, reml)
