""":func:`fit_lmm`: model frame -> profiled deviance -> optimum -> fitted model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mcbi.stats.lmm.deviance import make_deviance
from mcbi.stats.lmm.frame import model_frame
from mcbi.stats.lmm.optimize import optimize_theta
from mcbi.stats.lmm.result import LMMResult, build_result
from mcbi.stats.wald import check_alpha

__all__ = ["fit_lmm"]


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
    reml: bool = False,
    start: Any = None,
) -> LMMResult:
    """Fit ``outcome ~ group * time`` with nested random intercepts by ML or REML.

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
    reml : bool, default False
        Restricted maximum likelihood (lme4's ``REML = TRUE`` criterion) instead of full
        maximum likelihood. ``loglik``, ``aic`` and ``bic`` are then the REML ones (as
        lme4's ``logLik`` of a REML fit), not comparable across fixed-effect structures.
    start : array-like, optional
        Warm start of the optimiser (theta: each random-effect SD relative to the residual
        SD, as ``result.optsummary.final``), e.g. the same model's optimum on nearly the same
        data; the search then runs from it alone (see
        :func:`~mcbi.stats.lmm.optimize.optimize_theta`).

    Returns
    -------
    LMMResult
        With the optimisation record in ``result.optsummary``.

    Raises
    ------
    ValueError
        Missing columns, a non-numeric outcome, no observations, fewer than 2 groups or
        times, a group x time cell without observations, too few observations for the
        random effects, ``alpha`` outside (0, 1), a ``cluster_time`` other than False,
        True or ``"by_time"``, ``cluster_time`` without ``cluster``, or as many cluster x
        time cells as observations (then cluster x time and residual variance are
        confounded; checked for ``"by_time"`` too, where lme4 itself would not stop), a
        ``reml`` other than True or False, or (REML) no more observations than fixed
        effects.

    See Also
    --------
    mcbi.stats.lmm.frame.model_frame, mcbi.stats.lmm.deviance.make_deviance,
    mcbi.stats.lmm.optimize.optimize_theta, mcbi.stats.lmm.result.build_result :
        The four stages, usable on their own.

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
    >>> res.optsummary.optimizer, res.optsummary.converged
    ('Nelder-Mead', True)
    """
    check_alpha(alpha)
    if not isinstance(reml, (bool, np.bool_)):
        raise ValueError(f"reml must be True or False, got {reml!r}")
    frame = model_frame(data, outcome, group, time, subject, cluster,
                        group_levels=group_levels, time_levels=time_levels,
                        cluster_time=cluster_time)
    devfun = make_deviance(frame, reml=bool(reml))
    opt = optimize_theta(devfun, frame.theta_names, start=start)
    return build_result(frame, devfun, opt, alpha)
