"""Wald inference with the normal reference distribution.

One helper for every estimator of the package: estimates and standard errors in, a tidy
table with ``estimate, se, statistic, pvalue, ci_lower, ci_upper`` out (z statistic,
two-sided p-value, normal confidence interval at level ``1 - alpha``); :func:`wald_t` is the
same with a *t* reference distribution and given degrees of freedom.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["check_alpha", "wald", "wald_t"]


def check_alpha(alpha: Any) -> float:
    """Return ``alpha`` as a float after checking that it lies in (0, 1).

    Raises
    ------
    ValueError
        ``alpha`` is not a real number strictly between 0 and 1.
    """
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    return float(alpha)


def wald(estimate: Any, se: Any, alpha: float = 0.05) -> pd.DataFrame:
    """Wald z tests and normal confidence intervals, one row per estimate.

    Parameters
    ----------
    estimate, se : array_like
        Estimates and their standard errors: scalars or one-dimensional, of equal length.
        A NaN propagates to its row; ``se == 0`` gives an infinite or NaN statistic.
    alpha : float, default 0.05
        The intervals have level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, statistic, pvalue, ci_lower, ci_upper`` with
        ``statistic = estimate / se``, ``pvalue = 2 * (1 - Phi(|statistic|))`` and
        ``estimate -/+ z_(1 - alpha/2) * se``; a default (range) index.

    Raises
    ------
    ValueError
        ``alpha`` outside (0, 1); ``estimate`` and ``se`` of different lengths or more than
        one-dimensional; a negative or non-numeric standard error.

    Examples
    --------
    >>> wald([1.0, -0.2], [0.5, 0.1]).round(3).to_dict("list")["pvalue"]
    [0.046, 0.046]
    """
    alpha = check_alpha(alpha)
    try:
        est = np.atleast_1d(np.asarray(estimate, dtype=float))
        err = np.atleast_1d(np.asarray(se, dtype=float))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"estimate and se must be numeric: {exc}") from exc
    if est.ndim != 1 or err.ndim != 1 or est.shape != err.shape:
        raise ValueError(
            f"estimate and se must be one-dimensional and of equal length, got shapes "
            f"{est.shape} and {err.shape}"
        )
    if np.any(err < 0):  # NaN compares False: allowed
        raise ValueError("standard errors must be non-negative")
    z = stats.norm.ppf(1.0 - alpha / 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = est / err
    return pd.DataFrame({
        "estimate": est,
        "se": err,
        "statistic": statistic,
        "pvalue": 2.0 * stats.norm.sf(np.abs(statistic)),
        "ci_lower": est - z * err,
        "ci_upper": est + z * err,
    })


def wald_t(estimate: Any, se: Any, df: Any, alpha: float = 0.05) -> pd.DataFrame:
    """Wald *t* tests and *t* confidence intervals, one row per estimate.

    As :func:`wald`, with ``pvalue = 2 * P(T_df > |statistic|)`` and ``estimate -/+
    t_(df, 1 - alpha/2) * se``. ``df`` is a scalar or one value per estimate; ``inf`` gives
    the normal reference, a NaN or non-positive ``df`` a NaN p-value and interval.

    Raises
    ------
    ValueError
        As :func:`wald`, or ``df`` not numeric or of the wrong length.

    Examples
    --------
    >>> round(float(wald_t([1.0], [0.5], [10.0])["pvalue"].iloc[0]), 4)
    0.0734
    """
    tab = wald(estimate, se, alpha)
    try:
        dfs = np.broadcast_to(np.asarray(df, dtype=float), (len(tab),)).copy()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"df must be numeric, one value or one per estimate: {exc}") from exc
    dfs[~(dfs > 0)] = np.nan
    q = stats.t.ppf(1.0 - alpha / 2.0, dfs)
    est, err = tab["estimate"].to_numpy(), tab["se"].to_numpy()
    tab["pvalue"] = 2.0 * stats.t.sf(np.abs(tab["statistic"].to_numpy()), dfs)
    tab["ci_lower"] = est - q * err
    tab["ci_upper"] = est + q * err
    return tab
