"""The fitted model (lme4's ``mkMerMod`` stage): :class:`LMMResult` and its construction
from the model frame, the deviance and the optimum."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mcbi.stats.lmm.deviance import NestedDeviance
from mcbi.stats.lmm.frame import ModelFrame
from mcbi.stats.lmm.optimize import OptSummary
from mcbi.stats.wald import wald

__all__ = ["LMMResult", "build_result"]


@dataclass(frozen=True, repr=False)
class LMMResult:
    """A fitted group x time linear mixed model (returned by :func:`~mcbi.stats.lmm.fit_lmm`).

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
        Maximised log-likelihood (REML: minus half lme4's REML criterion) and the
        information criteria (parameters counted as in
        lme4: fixed effects plus variance components including the residual).
    nobs, n_subjects, n_clusters : int
        Observations used, subjects (within clusters) and clusters (0 for two-level).
    converged : bool
        Whether the optimiser reported success (``optsummary.converged``).
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
    optsummary : OptSummary or None
        The optimisation record: starts, initial and final theta, deviance, evaluations,
        tolerances, convergence message.
    reml : bool
        Whether the fit is REML (else ML); ``loglik``, ``aic`` and ``bic`` are then the
        REML criterion's.
    frame : ModelFrame or None
        The model frame the fit was made from (design, codes); used by the small-sample
        inference of :mod:`mcbi.stats.lmm.ddf`.
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
    optsummary: OptSummary | None = None
    reml: bool = False
    frame: ModelFrame | None = field(default=None, compare=False)

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
        levels += ", REML" if self.reml else ""
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


def build_result(frame: ModelFrame, devfun: NestedDeviance, opt: OptSummary,
                 alpha: float = 0.05) -> LMMResult:
    """Fixed effects, variance components and fit statistics at the optimum ``opt.final``.

    Parameters
    ----------
    frame : ModelFrame
    devfun : NestedDeviance or CrossedDeviance
        The deviance of ``frame`` (its ``parts`` give beta, sigma^2 and the covariance).
    opt : OptSummary
    alpha : float, default 0.05
        Level of the Wald intervals in ``fixed``.

    Returns
    -------
    LMMResult
    """
    theta = np.array(opt.final)
    dev, beta, sigma2, xvx_inv = devfun.parts(theta)
    cov = sigma2 * xvx_inv
    se = np.sqrt(np.diag(cov))
    names = list(frame.terms)
    fixed = wald(beta, se, alpha)
    fixed.insert(0, "term", names)

    comps = list(frame.theta_names) + ["residual"]
    variances = np.append(theta**2 * sigma2, sigma2)
    vc = pd.DataFrame({"component": comps, "variance": variances, "sd": np.sqrt(variances)})
    vc["proportion"] = variances / _baseline_total(vc, frame.cluster_time, frame.time_levels)
    k = len(names) + len(comps)
    n = frame.nobs
    return LMMResult(
        fixed=fixed,
        variance_components=vc,
        cov_fixed=pd.DataFrame(cov, index=names, columns=names),
        loglik=float(-dev / 2.0),
        aic=float(dev + 2 * k),
        bic=float(dev + k * np.log(n)),
        nobs=n,
        n_subjects=frame.n_subjects,
        n_clusters=frame.n_clusters,
        converged=opt.converged,
        outcome=frame.outcome,
        group=frame.group,
        time=frame.time,
        subject=frame.subject,
        cluster=frame.cluster,
        group_levels=frame.group_levels,
        time_levels=frame.time_levels,
        alpha=alpha,
        cell_counts=frame.cell_counts,
        cluster_time=frame.cluster_time,
        optsummary=opt,
        reml=bool(getattr(devfun, "reml", False)),
        frame=frame,
    )
