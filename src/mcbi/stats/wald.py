"""Wald inference with the normal reference distribution.

One helper for every estimator of the package: estimates and standard errors in, a tidy
table with ``estimate, se, statistic, pvalue, ci_lower, ci_upper`` out (z statistic,
two-sided p-value, normal confidence interval at level ``1 - alpha``).
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["check_alpha", "wald"]



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
