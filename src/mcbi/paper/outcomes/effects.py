"""Effect sizes of the outcome models: the growth-model Cohen's d of Feingold (2009).

``d`` is the model-estimated between-arm difference in change from baseline divided by the
*observed* pooled SD of the outcome at baseline (pre-test), pooled over the two arms as in an
independent-groups d (Feingold, 2009, Psychological Methods, 14(1), 43-53, eq. 6). Its
interval is the contrast's Wald interval divided by the same SD, which treats the SD as known
(the sampling error of the SD is ignored, so the interval is slightly too narrow).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["add_d", "pooled_baseline_sd"]

def pooled_baseline_sd(long: pd.DataFrame, outcome: str, group: str, time: str,
                       baseline: object) -> float:
    """Observed SD of ``outcome`` at ``baseline``, pooled over the levels of ``group``.

    ``sqrt(sum_g (n_g - 1) s_g^2 / sum_g (n_g - 1))`` over the groups' observed baseline
    values (one per row; missing values dropped).

    Parameters
    ----------
    long : DataFrame
        Long format, one row per subject and time.
    outcome, group, time : str
        Column names.
    baseline : object
        The baseline level of ``time``.

    Returns
    -------
    float
        The pooled SD; NaN when no group has two observed values or the SD is 0.

    Raises
    ------
    ValueError
        If a column is missing.

    Examples
    --------
    >>> df = pd.DataFrame({"arm": list("aabb"), "wave": ["pre"] * 4, "y": [1.0, 3, 2, 4]})
    >>> round(pooled_baseline_sd(df, "y", "arm", "wave", "pre"), 4)
    1.4142
    """
    missing = [c for c in (outcome, group, time) if c not in long.columns]
    if missing:
        raise ValueError(f"column(s) not in data: {missing!r}")
    pre = long.loc[(long[time] == baseline) & long[outcome].notna(), [group, outcome]]
    stats = pre.groupby(group, observed=True)[outcome].agg(["count", "var"])
    stats = stats[stats["count"] >= 2]
    dof = float((stats["count"] - 1).sum())
    if dof <= 0:
        return float("nan")
    sd = math.sqrt(float(((stats["count"] - 1) * stats["var"]).sum()) / dof)
    return sd if sd > 0 else float("nan")


def add_d(table: pd.DataFrame, sd: float) -> pd.DataFrame:
    """Add ``d, d_ci_lower, d_ci_upper`` and ``sd_pre`` to a contrast table.

    Parameters
    ----------
    table : DataFrame
        With columns ``estimate, ci_lower, ci_upper`` (e.g. :func:`mcbi.stats.lmm.contrasts`).
    sd : float
        The standardiser (:func:`pooled_baseline_sd`); NaN gives NaN effect sizes.

    Returns
    -------
    DataFrame
        A copy with the four columns set (replacing any present).

    Examples
    --------
    >>> t = pd.DataFrame({"estimate": [1.0], "ci_lower": [0.0], "ci_upper": [2.0]})
    >>> add_d(t, 2.0)[["d", "d_ci_lower", "d_ci_upper"]].values.tolist()
    [[0.5, 0.0, 1.0]]
    """
    out = table.copy()
    valid = sd is not None and np.isfinite(sd) and sd > 0
    scale = float(sd) if valid else float("nan")
    out["d"] = out["estimate"] / scale
    out["d_ci_lower"] = out["ci_lower"] / scale
    out["d_ci_upper"] = out["ci_upper"] / scale
    out["sd_pre"] = scale
    return out
