"""Linear mixed models for group x time designs, fitted by maximum likelihood or REML.

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

Estimation is full maximum likelihood by default, as ``lmer(..., REML = FALSE)``, or
restricted maximum likelihood with ``reml=True`` (lme4's REML criterion): the
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

Inference is by default Wald-type with the normal reference distribution (z statistics,
two-sided p-values, normal confidence intervals; :func:`mcbi.stats.wald.wald`). The
fixed-effect covariance is ``sigma^2 (X' Sigma^-1 X)^-1`` evaluated at the estimates,
conditional on the variance components -- the same matrix as lme4's ``vcov()``. For any
linear contrast, :func:`contrast_test` (and ``contrasts(..., ddf=...)``) gives *t* tests
with Satterthwaite's denominator df (lmerTest's method, ML or REML fits) or Kenward-Roger's
adjusted covariance and df (pbkrtest's, REML fits): :mod:`~mcbi.stats.lmm.ddf`, on the
covariance structure of :mod:`~mcbi.stats.lmm.varstruct`; :func:`contrast_ftest` tests
several rows jointly (*F*; :mod:`~mcbi.stats.lmm.ftest`).

The modules follow lme4's stages ``lFormula -> mkLmerDevfun -> optimizeLmer -> checkConv
-> mkMerMod``: :mod:`~mcbi.stats.lmm.frame` (model frame and design matrix),
:mod:`~mcbi.stats.lmm.deviance` (the profiled deviance as a function of theta),
:mod:`~mcbi.stats.lmm.optimize` (the optimiser strategy, boundary check and
:class:`~mcbi.stats.lmm.optimize.OptSummary`), :mod:`~mcbi.stats.lmm.result`
(:class:`LMMResult`), :mod:`~mcbi.stats.lmm.fit` (:func:`fit_lmm`, the four in a row) and
:mod:`~mcbi.stats.lmm.summaries` (:func:`contrasts`, :func:`marginal_means`, :func:`icc`).
:func:`holm` is :func:`mcbi.stats.multitest.holm`, re-exported.
"""

from mcbi.stats.lmm.ddf import contrast_test, kenward_roger, kr_ddf, satterthwaite_df
from mcbi.stats.lmm.fit import fit_lmm
from mcbi.stats.lmm.ftest import contrast_ftest
from mcbi.stats.lmm.optimize import OptSummary
from mcbi.stats.lmm.result import LMMResult
from mcbi.stats.lmm.summaries import contrasts, icc, icc_by_time, marginal_means
from mcbi.stats.multitest import holm

__all__ = ["LMMResult", "OptSummary", "contrast_ftest", "contrast_test", "contrasts", "fit_lmm",
           "holm", "icc", "icc_by_time", "kenward_roger", "kr_ddf", "marginal_means",
           "satterthwaite_df"]
