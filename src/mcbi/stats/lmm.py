"""Linear mixed models for group x time designs, fitted by maximum likelihood.

General helpers: a long-format DataFrame and column names in, tidy DataFrames out. The model
is ``outcome ~ group * time`` (treatment coding; the first group level and the first time
level -- the baseline -- are the references) with random intercepts

- per ``subject`` (two levels: waves within subjects), lme4 ``(1 | subject)``; or
- per ``cluster`` and per subject within cluster (three levels: waves within subjects within
  clusters), lme4 ``(1 | cluster) + (1 | cluster:subject)``; optionally with a third
  intercept per cluster and wave, ``+ (1 | cluster:time)`` (``cluster_time=True``): each
  cluster's own deviation at every wave, so that clusters may differ in how much their
  subjects change between waves. Subjects and waves are then crossed within cluster. With
  ``cluster_time="by_time"`` these per-wave cluster deviations get one variance per wave,
  lme4 ``(1 | cluster) + (1 | cluster:subject) + (0 + dummy(time, "<t>") | cluster)`` for
  every wave ``t`` (independent terms, so no covariances).

Estimation is full maximum likelihood (not REML), as ``lmer(..., REML = FALSE)``: the
fixed effects and the residual variance are profiled out and the deviance is minimised over
the relative standard deviations ``theta`` (random-effect SD / residual SD), exactly
lme4's parameterisation. The nested compound-symmetry covariance has a closed-form inverse
and determinant, so each deviance evaluation costs a few group sums. With the cluster x time
intercept the closed form no longer applies; the subject part is still inverted in closed
form and the cluster and cluster x time parts (``1 + number of waves`` columns per cluster,
with a diagonal random-effect covariance) by Woodbury's identity with one small Cholesky
factor per cluster, batched over clusters. A variance component may land on the boundary
(0); it is then reported as 0, as lme4 does for a singular fit.

Rows with a missing outcome are dropped; every subject with at least one observed wave
contributes (intention to treat under missing at random).

Inference is Wald-type with the normal reference distribution (z statistics, two-sided
p-values, normal confidence intervals); no denominator degrees of freedom are used. The
fixed-effect covariance is ``sigma^2 (X' Sigma^-1 X)^-1`` evaluated at the ML estimates,
conditional on the variance components -- the same matrix as lme4's ``vcov()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

__all__ = ["LMMResult", "contrasts", "fit_lmm", "holm", "icc", "marginal_means"]

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True, repr=False)
class LMMResult:
    """A fitted group x time linear mixed model (returned by :func:`fit_lmm`).

    Attributes
    ----------
    fixed : pandas.DataFrame
        One row per fixed effect: ``term, estimate, se, statistic, pvalue, ci_lower,
        ci_upper`` (Wald z; normal-theory CI at level ``1 - alpha``). Terms are named
        ``Intercept``, ``<group>[T.<level>]``, ``<time>[T.<level>]`` and
        ``<group>[T.<level>]:<time>[T.<level>]``.
    variance_components : pandas.DataFrame
        ``component`` (``cluster``, ``subject``, ``cluster_time``, ``residual`` as
        applicable, in this order; with ``cluster_time="by_time"`` one
        ``cluster_time[<level>]`` per time level, in level order, in place of
        ``cluster_time``), ``variance``, ``sd`` and ``proportion`` (``variance /
        total_variance``; these sum to 1 except with ``"by_time"``, where only the
        baseline wave's cluster x time component is in the total).
    cov_fixed : pandas.DataFrame
        Covariance matrix of the fixed effects (rows and columns named by term).
    loglik, aic, bic : float
        Maximised log-likelihood and the information criteria (parameters counted as in
        lme4: fixed effects plus variance components including the residual).
    nobs, n_subjects, n_clusters : int
        Observations used, subjects (within clusters) and clusters (0 for two-level).
    converged : bool
        Whether the optimiser reported success.
    outcome, group, time, subject, cluster : str or None
        The column names used.
    cluster_time : bool or str
        ``False`` (no cluster x time intercept), ``True`` (``(1 | cluster:time)``, one
        variance) or ``"by_time"`` (one cluster x time variance per wave).
    group_levels, time_levels : tuple
        Level orders; the first entry of each is the reference (``time_levels[0]`` is the
        baseline).
    alpha : float
        Significance level of the confidence intervals in ``fixed``.
    cell_counts : pandas.DataFrame
        Observed outcomes per cell: columns ``group``, ``time``, ``n``.
    """

    fixed: pd.DataFrame
    variance_components: pd.DataFrame
    cov_fixed: pd.DataFrame
    loglik: float
    aic: float
    bic: float
    nobs: int
    n_subjects: int
    n_clusters: int
    converged: bool
    outcome: str
    group: str
    time: str
    subject: str
    cluster: str | None
    group_levels: tuple
    time_levels: tuple
    alpha: float = 0.05
    cell_counts: pd.DataFrame = field(default_factory=pd.DataFrame)
    cluster_time: bool | str = False

    @property
    def params(self) -> pd.Series:
        """Fixed-effect estimates as a Series indexed by term."""
        return self.fixed.set_index("term")["estimate"]

    @property
    def total_variance(self) -> float:
        """Model-implied outcome variance at baseline (``time_levels[0]``).

        The sum of the variance components. With ``cluster_time="by_time"`` only the
        baseline wave's ``cluster_time[<baseline>]`` enters (the other waves' cluster x time
        components do not apply to a baseline observation): ``cluster + subject +
        cluster_time[<baseline>] + residual``. Otherwise the model-implied variance is the
        same at every wave and this is the plain sum of the components.
        """
        return _baseline_total(self.variance_components, self.cluster_time,
                               self.time_levels)

    def __repr__(self) -> str:
        levels = "three-level" if self.cluster is not None else "two-level"
        if self.cluster_time == "by_time":
            levels += " + cluster x time by wave"
        elif self.cluster_time:
            levels += " + cluster x time"
        return (
            f"LMMResult({self.outcome} ~ {self.group} * {self.time}, {levels}, "
            f"nobs={self.nobs}, subjects={self.n_subjects}, clusters={self.n_clusters}, "
            f"loglik={self.loglik:.4f}, converged={self.converged})"
        )


def _baseline_total(vc: pd.DataFrame, cluster_time: bool | str, time_levels: tuple) -> float:
    """Sum of the variance components that apply to a baseline observation."""
    variance = vc.set_index("component")["variance"]
    if isinstance(cluster_time, str):  # "by_time": keep the baseline wave's component only
        keep = f"cluster_time[{time_levels[0]}]"
        variance = variance[[not c.startswith("cluster_time[") or c == keep
                             for c in variance.index]]
    return float(variance.sum())


# --------------------------------------------------------------------------- input checks


def _levels(values: pd.Series, given: Any, column: str, kind: str) -> tuple:
    """Validated level order for ``values`` (observed rows only)."""
    observed = pd.unique(values)
    if given is None:
        if isinstance(values.dtype, pd.CategoricalDtype):
            present = set(observed)
            levels = [c for c in values.cat.categories if c in present]
        else:
            try:
                levels = sorted(observed)
            except TypeError as err:
                raise ValueError(
                    f"cannot sort the {kind} levels of column {column!r}; "
                    f"pass {kind}_levels explicitly"
                ) from err
    else:
        levels = list(given)
        if len(set(levels)) != len(levels):
            raise ValueError(f"{kind}_levels contains duplicates: {levels!r}")
        unknown = [v for v in observed if v not in set(levels)]
        if unknown:
            raise ValueError(
                f"column {column!r} has values not in {kind}_levels: {unknown[:5]!r}"
            )
        empty = [lv for lv in levels if lv not in set(observed)]
        if empty:
            raise ValueError(
                f"{kind} level(s) {empty!r} of column {column!r} have no observed outcome"
            )
    levels = [lv.item() if isinstance(lv, np.generic) else lv for lv in levels]
    if len(levels) < 2:
        raise ValueError(
            f"column {column!r} needs at least 2 {kind} levels with observed outcomes, "
            f"found {len(levels)}"
        )
    return tuple(levels)


def _prepare(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    time: str,
    subject: str,
    cluster: str | None,
    group_levels: Any,
    time_levels: Any,
) -> tuple[pd.DataFrame, tuple, tuple]:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    columns = [outcome, group, time, subject] + ([cluster] if cluster is not None else [])
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"column(s) not in data: {missing!r}")
    if len(set(columns)) != len(columns):
        raise ValueError(f"outcome, group, time, subject and cluster must differ: {columns!r}")
    y = data[outcome]
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        raise ValueError(f"outcome column {outcome!r} must be numeric, got dtype {y.dtype}")
    df = data.loc[y.notna(), columns]
    if df.empty:
        raise ValueError(f"no observations: outcome column {outcome!r} has no non-missing value")
    if not np.isfinite(df[outcome].to_numpy(dtype=float)).all():
        raise ValueError(f"outcome column {outcome!r} contains infinite values")
    design_na = [c for c in columns[1:] if df[c].isna().any()]
    if design_na:
        raise ValueError(f"missing values in column(s) {design_na!r} of rows with an outcome")
    glev = _levels(df[group], group_levels, group, "group")
    tlev = _levels(df[time], time_levels, time, "time")
    return df, glev, tlev


# --------------------------------------------------------------------------- the model


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


class _Profile:
    """Profiled ML deviance of the nested random-intercept model.

    With ``Sigma = I + a * sum_c J_c + b * sum_s J_s`` (``a = theta_cluster^2``,
    ``b = theta_subject^2``; ``J`` all-ones blocks), ``Sigma^-1`` and ``log|Sigma|`` follow
    from Sherman-Morrison applied twice: first within subjects, then within clusters.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, subj: np.ndarray, clus: np.ndarray | None):
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
        self.k = 1 if clus is None else 2  # theta = (subject,) or (cluster, subject)

    def parts(self, theta: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Deviance, beta, sigma^2 and (X' Sigma^-1 X)^-1 at ``theta``."""
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
        try:
            return self.parts(theta)[0]
        except (linalg.LinAlgError, FloatingPointError, ValueError):
            return np.inf

    def optimise(self) -> tuple[np.ndarray, bool]:
        """Minimise the deviance over theta (sign-free, so no bounds are needed).

        Nelder-Mead with tight tolerances from a grid of starts, keeping the best; then each
        theta is tried at exactly 0 (the boundary).
        """
        opts = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000}
        grid = np.array(np.meshgrid(*[[0.3, 1.0, 3.0]] * self.k)).reshape(self.k, -1).T
        best_theta, best_dev, ok = np.ones(self.k), np.inf, False
        for start in grid:
            res = optimize.minimize(self.deviance, start, method="Nelder-Mead", options=opts)
            if res.fun < best_dev:
                best_theta, best_dev, ok = np.abs(res.x), float(res.fun), bool(res.success)
        return self._to_boundary(best_theta, best_dev), ok

    def _to_boundary(self, theta: np.ndarray, dev: float) -> np.ndarray:
        """Set to exactly 0 each theta (smallest first) whose removal does not raise the
        deviance beyond rounding (1e-9), like lme4's singular fits."""
        for j in np.argsort(theta):
            trial = theta.copy()
            trial[j] = 0.0
            trial_dev = self.deviance(trial)
            if trial_dev <= dev + 1e-9:
                theta, dev = trial, trial_dev
        return theta


class _CrossedProfile(_Profile):
    """Profiled ML deviance with a cluster x time intercept as well (``cluster_time``).

    ``Sigma = A + sum_j W_j D W_j'`` with ``A = I + b * sum_s J_s`` (subjects; inverted in
    closed form as in :class:`_Profile`) and, per cluster ``j``, ``W_j = [1, E_j]``: a column
    of ones (cluster intercept) and one indicator column per wave (cluster x time
    intercepts), ``D = diag(a, c, ..., c)`` with ``a = theta_cluster^2``,
    ``b = theta_subject^2``, ``c = theta_cluster_time^2`` (``cluster_time=True``), or
    ``D = diag(a, c_1, ..., c_T)`` with one ``c_t = theta_cluster_time[t]^2`` per wave
    (``by_time=True``, ``cluster_time="by_time"``). Woodbury's identity in the
    symmetric form of lme4 (``D^(1/2)`` on both sides, so a zero variance is no problem):

        Sigma^-1 = A^-1 - A^-1 W D^(1/2) C^-1 D^(1/2) W' A^-1,
        log|Sigma| = log|A| + log|C|,   C = I + D^(1/2) W' A^-1 W D^(1/2),

    where ``C`` is block diagonal with one ``(1 + T) x (1 + T)`` block per cluster (``T``
    waves), factored by a batched Cholesky decomposition.
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
        # theta = (cluster, subject, cluster_time) or (cluster, subject, cluster_time[t]...)
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
        # The last diagonal entry of the Cholesky factor of Q is sqrt(rss): one call, no
        # beta and no inverse (the optimiser only needs the deviance).
        try:
            Q, logdet = self._gram(theta)
            rss = float(np.linalg.cholesky(Q)[-1, -1]) ** 2
        except (linalg.LinAlgError, FloatingPointError, ValueError):
            return super().deviance(theta)  # e.g. a perfect fit: rss = 0
        if not rss > 0.0:
            return super().deviance(theta)
        return logdet + self.n * (1.0 + _LOG_2PI + np.log(rss / self.n))

    def parts(self, theta: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
        """Deviance, beta, sigma^2 and (X' Sigma^-1 X)^-1 at ``theta``."""
        Q, logdet = self._gram(theta)
        return _profile_out(Q, logdet, self.p, self.n, self.beta0)

    def optimise(self) -> tuple[np.ndarray, bool]:
        """Minimise the deviance over theta = (cluster, subject, cluster_time...).

        Each deviance evaluation costs more than in the nested model, so the multi-start
        search is cheaper: L-BFGS-B with bounds ``theta >= 0`` (as lme4's bobyqa) from five
        starts, then Nelder-Mead with tight tolerances from the best of them (sign-free,
        unbounded), then the boundary check of :meth:`_Profile.optimise`. With one
        cluster x time value per wave (``by_time``) the five starts repeat their third value
        for every wave, and two more starts let the per-wave values rise or fall over the
        waves.
        """
        base = [(1.0, 1.0, 1.0), (0.3, 0.3, 0.3), (3.0, 3.0, 3.0), (0.3, 1.0, 3.0),
                (3.0, 1.0, 0.3)]
        if self.by_time:
            n_t = self.k - 2
            starts = [s[:2] + (s[2],) * n_t for s in base]
            ramp = tuple(np.geomspace(0.3, 3.0, n_t))
            starts += [(1.0, 1.0) + ramp, (1.0, 1.0) + ramp[::-1]]
        else:
            starts = base
        best_theta, best_dev = np.ones(self.k), np.inf
        for start in starts:
            # A far line-search step can give an infinite deviance (lost positive
            # definiteness); the finite-difference gradient is then NaN and the run is
            # discarded or recovers, so its floating-point warnings are silenced.
            with np.errstate(invalid="ignore", over="ignore"):
                res = optimize.minimize(self.deviance, np.array(start), method="L-BFGS-B",
                                        bounds=[(0.0, None)] * self.k)
            if np.isfinite(res.fun) and res.fun < best_dev:
                best_theta, best_dev = np.abs(res.x), float(res.fun)
        opts = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000}
        res = optimize.minimize(self.deviance, best_theta, method="Nelder-Mead", options=opts)
        ok = bool(res.success) and np.isfinite(res.fun)
        if res.fun < best_dev:
            best_theta, best_dev = np.abs(res.x), float(res.fun)
        return self._to_boundary(best_theta, best_dev), ok


def _design(
    df: pd.DataFrame, group: str, time: str, glev: tuple, tlev: tuple
) -> tuple[np.ndarray, list[str]]:
    g = df[group].map({lv: i for i, lv in enumerate(glev)}).to_numpy(dtype=int)
    t = df[time].map({lv: i for i, lv in enumerate(tlev)}).to_numpy(dtype=int)
    cols = [np.ones(len(df))]
    names = ["Intercept"]
    for i, lv in enumerate(glev[1:], start=1):
        cols.append((g == i).astype(float))
        names.append(f"{group}[T.{lv}]")
    for j, lv in enumerate(tlev[1:], start=1):
        cols.append((t == j).astype(float))
        names.append(f"{time}[T.{lv}]")
    for j, tl in enumerate(tlev[1:], start=1):  # R's order: group varies fastest
        for i, gl in enumerate(glev[1:], start=1):
            cols.append(((g == i) & (t == j)).astype(float))
            names.append(f"{group}[T.{gl}]:{time}[T.{tl}]")
    return np.column_stack(cols), names


def _wald(estimate: np.ndarray, se: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = estimate / se
    return {
        "estimate": estimate,
        "se": se,
        "statistic": statistic,
        "pvalue": 2.0 * stats.norm.sf(np.abs(statistic)),
        "ci_lower": estimate - z * se,
        "ci_upper": estimate + z * se,
    }


def fit_lmm(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    time: str,
    subject: str,
    cluster: str | None = None,
    *,
    group_levels: Any = None,
    time_levels: Any = None,
    alpha: float = 0.05,
    cluster_time: bool | str = False,
) -> LMMResult:
    """Fit ``outcome ~ group * time`` with nested random intercepts by maximum likelihood.

    Parameters
    ----------
    data : pandas.DataFrame
        Long format, one row per subject and wave. Rows with a missing outcome are dropped.
    outcome : str
        Numeric outcome column.
    group, time : str
        Group (arm) and wave columns, treated as categorical.
    subject : str
        Subject identifier; unique within cluster (or overall when ``cluster`` is None).
    cluster : str, optional
        Cluster identifier (e.g. therapist). If given, the model is three-level:
        ``(1 | cluster) + (1 | cluster:subject)``; otherwise ``(1 | subject)``.
    group_levels, time_levels : sequence, optional
        Level orders; the first is the reference (``time_levels[0]`` is the baseline).
        Default: the categorical order for a categorical column, else sorted values.
    alpha : float, default 0.05
        Level of the Wald confidence intervals in ``result.fixed``.
    cluster_time : {False, True, "by_time"}, default False
        Only with ``cluster``: add a random intercept per cluster and wave, lme4
        ``(1 | cluster) + (1 | cluster:subject) + (1 | cluster:time)`` (``True``;
        component ``cluster_time``). It lets clusters differ in their mean change between
        waves (the deviations are independent across waves, with one common variance);
        without it, such differences are ignored and between-group contrast SEs can be
        far off. ``"by_time"`` gives each wave its own cluster x time variance, lme4
        ``(1 | cluster) + (1 | cluster:subject) + (0 + dummy(time, "<t>") | cluster)``
        for every time level ``t`` (independent terms; components
        ``cluster_time[<t>]``), for clusters that differ more in their change at some
        waves than at others. It nests ``True`` (all per-wave variances equal), so its
        log-likelihood is at least as large.

    Returns
    -------
    LMMResult

    Raises
    ------
    ValueError
        Missing columns, a non-numeric outcome, no observations, fewer than 2 groups or
        times, a group x time cell without observations, too few observations for the
        random effects, a ``cluster_time`` other than False, True or ``"by_time"``,
        ``cluster_time`` without ``cluster``, or as many cluster x time cells as
        observations (then cluster x time and residual variance are confounded; checked
        for ``"by_time"`` too, where lme4 itself would not stop).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 60),
    ...                    "wave": np.tile([0, 1, 2], 40)})
    >>> df["y"] = np.repeat(rng.normal(size=40), 3) + rng.normal(size=120)
    >>> res = fit_lmm(df, "y", "arm", "wave", "id")
    >>> list(res.variance_components["component"])
    ['subject', 'residual']
    """
    if isinstance(cluster_time, np.bool_):
        cluster_time = bool(cluster_time)
    if not (isinstance(cluster_time, bool)
            or (isinstance(cluster_time, str) and cluster_time == "by_time")):
        raise ValueError(
            f"cluster_time must be True, False or 'by_time', got {cluster_time!r}"
        )
    if cluster_time is not False and cluster is None:
        raise ValueError(
            f"cluster_time={cluster_time!r} needs a cluster column (a three-level model)"
        )
    df, glev, tlev = _prepare(
        data, outcome, group, time, subject, cluster, group_levels, time_levels
    )
    X, names = _design(df, group, time, glev, tlev)
    counts = df.groupby([group, time], observed=True).size()
    empty = [(g, t) for g in glev for t in tlev if counts.get((g, t), 0) == 0]
    if empty:
        raise ValueError(f"no observations in group x time cell(s) {empty!r}")
    y = df[outcome].to_numpy(dtype=float)
    if cluster is None:
        subj = pd.factorize(df[subject])[0]
        clus = None
        n_clusters = 0
    else:
        clus = pd.factorize(df[cluster])[0]
        subj = pd.MultiIndex.from_arrays([df[cluster], df[subject]]).factorize()[0]
        n_clusters = int(clus.max()) + 1
    n, n_subjects = len(y), int(subj.max()) + 1
    if n_subjects >= n:
        raise ValueError(
            f"{n_subjects} subjects for {n} observations: the subject random intercept "
            "needs repeated observations (as in lme4, levels must be fewer than observations)"
        )

    if cluster_time:
        tcode = df[time].map({lv: i for i, lv in enumerate(tlev)}).to_numpy(dtype=int)
        n_ct = len(np.unique(clus * len(tlev) + tcode))
        if n_ct >= n:
            raise ValueError(
                f"{n_ct} cluster x time levels for {n} observations: the cluster_time "
                "random intercept needs fewer levels than observations (as in lme4)"
            )
        prof = _CrossedProfile(X, y, subj, clus, tcode, len(tlev),
                               by_time=cluster_time == "by_time")
    else:
        prof = _Profile(X, y, subj, clus)
    theta, converged = prof.optimise()
    dev, beta, sigma2, xvx_inv = prof.parts(theta)
    cov = sigma2 * xvx_inv
    se = np.sqrt(np.diag(cov))
    fixed = pd.DataFrame({"term": names, **_wald(beta, se, alpha)})

    comps = (["cluster"] if cluster is not None else []) + ["subject"]
    if cluster_time == "by_time":
        comps += [f"cluster_time[{lv}]" for lv in tlev]
    elif cluster_time:
        comps += ["cluster_time"]
    comps += ["residual"]
    variances = np.append(theta**2 * sigma2, sigma2)
    vc = pd.DataFrame({"component": comps, "variance": variances, "sd": np.sqrt(variances)})
    vc["proportion"] = variances / _baseline_total(vc, cluster_time, tlev)
    k = len(names) + len(comps)
    loglik = -dev / 2.0
    cells = counts.rename("n").reset_index().rename(columns={group: "group", time: "time"})
    return LMMResult(
        fixed=fixed,
        variance_components=vc,
        cov_fixed=pd.DataFrame(cov, index=names, columns=names),
        loglik=float(loglik),
        aic=float(dev + 2 * k),
        bic=float(dev + k * np.log(n)),
        nobs=n,
        n_subjects=n_subjects,
        n_clusters=n_clusters,
        converged=converged,
        outcome=outcome,
        group=group,
        time=time,
        subject=subject,
        cluster=cluster,
        group_levels=glev,
        time_levels=tlev,
        alpha=alpha,
        cell_counts=cells,
        cluster_time=cluster_time,
    )


# --------------------------------------------------------------------------- summaries


def _cell_means_matrix(result: LMMResult) -> np.ndarray:
    """Rows ``L`` with ``L @ beta`` = model mean of each group x time cell (group-major)."""
    terms = {term: i for i, term in enumerate(result.fixed["term"])}
    glev, tlev = result.group_levels, result.time_levels
    rows = []
    for i, g in enumerate(glev):
        for j, t in enumerate(tlev):
            row = np.zeros(len(terms))
            row[terms["Intercept"]] = 1.0
            gt, tt = f"{result.group}[T.{g}]", f"{result.time}[T.{t}]"
            if i:
                row[terms[gt]] = 1.0
            if j:
                row[terms[tt]] = 1.0
            if i and j:
                row[terms[f"{gt}:{tt}"]] = 1.0
            rows.append(row)
    return np.array(rows)


def _combine(result: LMMResult, L: np.ndarray, alpha: float) -> dict[str, np.ndarray]:
    beta = result.fixed["estimate"].to_numpy()
    cov = result.cov_fixed.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, cov, L))
    return _wald(L @ beta, se, alpha)


def contrasts(result: LMMResult, alpha: float = 0.05) -> pd.DataFrame:
    """Within-group changes from baseline and between-group differences in change.

    For every non-baseline wave ``t``: the change ``t - baseline`` in each group
    (``contrast == 'within'``, ``group`` = the level) and, for each non-reference group
    ``k``, the difference in change ``k - reference`` (``contrast == 'between'``,
    ``group`` = ``'<k> - <reference>'``). Each is a linear combination ``L beta`` of the
    fixed effects with SE ``sqrt(L V L')`` (Wald z, normal CI).

    Cohen's ``d`` is ``estimate / SD`` with ``SD = sqrt(result.total_variance)``, the
    model-implied outcome SD at baseline: the sum of all variance components, including
    ``cluster_time`` when the model has it (with random intercepts only it is the same at
    every wave); with ``cluster_time="by_time"`` the baseline wave's component
    ``cluster_time[<baseline>]`` only, i.e. ``cluster + subject + cluster_time[<baseline>]
    + residual`` (the other waves' components are not part of a baseline observation's
    variance). Its interval is the estimate's CI divided by the same SD, which treats SD as
    fixed.

    Parameters
    ----------
    result : LMMResult
    alpha : float, default 0.05

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome, contrast, group, time, estimate, se, statistic, pvalue,
        ci_lower, ci_upper, d, d_ci_lower, d_ci_upper``; ``group`` holds strings.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 60), "wave": np.tile([0, 1, 2], 40)})
    >>> df["y"] = np.random.default_rng(1).normal(size=120)
    >>> tab = contrasts(fit_lmm(df, "y", "arm", "wave", "id"))
    >>> tab[["contrast", "group", "time"]].head(3).values.tolist()
    [['within', 'ctl', 1], ['within', 'trt', 1], ['between', 'trt - ctl', 1]]
    """
    glev, tlev = result.group_levels, result.time_levels
    cell = _cell_means_matrix(result).reshape(len(glev), len(tlev), -1)
    change = cell[:, 1:, :] - cell[:, :1, :]  # (group, time, p): t - baseline
    rows, L = [], []
    for j, t in enumerate(tlev[1:]):
        for i, g in enumerate(glev):
            rows.append(("within", str(g), t))
            L.append(change[i, j])
        for i, g in enumerate(glev[1:], start=1):
            rows.append(("between", f"{g} - {glev[0]}", t))
            L.append(change[i, j] - change[0, j])
    out = pd.DataFrame(rows, columns=["contrast", "group", "time"])
    out.insert(0, "outcome", result.outcome)
    wald = _combine(result, np.array(L), alpha)
    for key, val in wald.items():
        out[key] = val
    sd = np.sqrt(result.total_variance)
    out["d"] = out["estimate"] / sd
    out["d_ci_lower"] = out["ci_lower"] / sd
    out["d_ci_upper"] = out["ci_upper"] / sd
    return out


def marginal_means(result: LMMResult, alpha: float = 0.05) -> pd.DataFrame:
    """Model-estimated mean of every group x time cell, with SE and Wald CI.

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome, group, time, estimate, se, ci_lower, ci_upper, n`` (``n`` =
        observed outcomes in the cell), ordered by group then time level.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 60), "wave": np.tile([0, 1, 2], 40)})
    >>> df["y"] = np.random.default_rng(1).normal(size=120)
    >>> mm = marginal_means(fit_lmm(df, "y", "arm", "wave", "id"))
    >>> mm.pivot(index="time", columns="group", values="estimate").shape
    (3, 2)
    """
    rows = [(g, t) for g in result.group_levels for t in result.time_levels]
    out = pd.DataFrame(rows, columns=["group", "time"])
    out.insert(0, "outcome", result.outcome)
    wald = _combine(result, _cell_means_matrix(result), alpha)
    for key in ("estimate", "se", "ci_lower", "ci_upper"):
        out[key] = wald[key]
    counts = {(r.group, r.time): int(r.n) for r in result.cell_counts.itertuples()}
    out["n"] = [counts.get(key, 0) for key in rows]
    return out


def holm(pvalues: Any) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (family-wise error rate).

    The i-th smallest of m p-values is multiplied by ``m - i + 1``; the adjusted values are
    made non-decreasing in that order and capped at 1. NaNs are kept and not counted.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"pvalues must be one-dimensional, got shape {p.shape}")
    ok = ~np.isnan(p)
    if np.any((p[ok] < 0) | (p[ok] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    out = np.full(p.shape, np.nan)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def icc(result: LMMResult) -> float:
    """Intraclass correlation of the top level.

    Three-level model: ``var_cluster / total``; two-level model: ``var_subject / total``
    (total = ``result.total_variance``, the model-implied variance at baseline: the sum of
    the variance components). With the cluster x time intercept (``cluster_time=True``) it
    is still ``var_cluster / total``: ``var_cluster_time`` is in the total (the denominator)
    but not in the numerator, so this is the correlation of two patients of one therapist
    at *different* waves (at the same wave it would be ``(var_cluster + var_cluster_time) /
    total``). With ``cluster_time="by_time"`` the total is the *baseline* variance
    ``cluster + subject + cluster_time[<baseline>] + residual`` (not an average over waves),
    so the ICC is the cluster share of the baseline variance, on the same footing as
    Cohen's ``d`` in :func:`contrasts`. The share of every component is also in
    ``result.variance_components["proportion"]``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 60), "wave": np.tile([0, 1, 2], 40)})
    >>> df["y"] = np.repeat(rng.normal(size=40), 3) + rng.normal(size=120)
    >>> 0 < icc(fit_lmm(df, "y", "arm", "wave", "id")) < 1
    True
    """
    vc = result.variance_components.set_index("component")["variance"]
    top = "cluster" if result.cluster is not None else "subject"
    return float(vc[top] / result.total_variance)
