"""Summaries of a fitted model: within- and between-group contrasts, cell means, ICC."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.stats.lmm.ddf import DDF_METHODS, contrast_test
from mcbi.stats.lmm.result import LMMResult
from mcbi.stats.wald import wald

__all__ = ["contrasts", "icc", "icc_by_time", "marginal_means"]


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


def _combine(result: LMMResult, L: np.ndarray, alpha: float) -> pd.DataFrame:
    """Wald table of the linear combinations ``L @ beta``."""
    beta = result.fixed["estimate"].to_numpy()
    cov = result.cov_fixed.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, cov, L))
    return wald(L @ beta, se, alpha)


def contrasts(result: LMMResult, alpha: float = 0.05, sd: float | None = None,
              ddf: str = "z") -> pd.DataFrame:
    """Within-group changes from baseline and between-group differences in change.

    For every non-baseline wave ``t``: the change ``t - baseline`` in each group
    (``contrast == 'within'``, ``group`` = the level) and, for each non-reference group
    ``k``, the difference in change ``k - reference`` (``contrast == 'between'``,
    ``group`` = ``'<k> - <reference>'``). Each is a linear combination ``L beta`` of the
    fixed effects with SE ``sqrt(L V L')`` (Wald z, normal CI) by default; with
    ``ddf="satterthwaite"`` a *t* test with Satterthwaite's df, with
    ``ddf="kenward-roger"`` (REML fits) a *t* test with Kenward-Roger's adjusted SE and df
    (see :func:`mcbi.stats.lmm.ddf.contrast_test`).

    With ``sd`` given, Cohen's ``d = estimate / sd`` is added with its interval (the
    estimate's CI divided by the same SD, which treats the SD as known), and the column
    ``d_sd`` names that SD. Which SD standardises a growth-model d is the caller's choice
    (e.g. the observed pooled baseline SD, Feingold 2009, or ``sqrt(result.total_variance)``,
    the model-implied baseline SD); without ``sd`` no d is computed.

    Parameters
    ----------
    result : LMMResult
    alpha : float, default 0.05
    sd : float, optional
        Standardiser of ``d`` (positive, finite); without it the table has no d.
    ddf : {"z", "satterthwaite", "kenward-roger"}, default "z"
        Reference distribution of the tests and intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome, contrast, group, time, estimate, se, statistic, pvalue,
        ci_lower, ci_upper`` (and ``d, d_ci_lower, d_ci_upper, d_sd`` with ``sd``);
        ``group`` holds strings. With
        ``ddf`` other than ``"z"``, also ``df`` (after ``statistic``) and ``method``
        (``"Satterthwaite"`` or ``"Kenward-Roger"``, last); the ``"z"`` table is unchanged.

    Raises
    ------
    ValueError
        ``alpha`` outside (0, 1), ``sd`` not a positive finite number, an unknown ``ddf``,
        or ``"kenward-roger"`` with an ML fit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mcbi.stats.lmm import fit_lmm
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 60), "wave": np.tile([0, 1, 2], 40)})
    >>> df["y"] = np.random.default_rng(1).normal(size=120)
    >>> tab = contrasts(fit_lmm(df, "y", "arm", "wave", "id"))
    >>> tab[["contrast", "group", "time"]].head(3).values.tolist()
    [['within', 'ctl', 1], ['within', 'trt', 1], ['between', 'trt - ctl', 1]]
    """
    if sd is not None and not (np.isfinite(sd) and sd > 0):
        raise ValueError(f"sd must be a positive finite number, got {sd!r}")
    key = ddf.lower() if isinstance(ddf, str) else ddf
    if key not in DDF_METHODS:
        raise ValueError(f"ddf must be one of {list(DDF_METHODS)}, got {ddf!r}")
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
    if key == "z":
        tab = _combine(result, np.array(L), alpha)
    else:
        tab = contrast_test(result, np.array(L), ddf=key, alpha=alpha)
        method = tab.pop("method").iloc[0]
    for col in tab.columns:
        out[col] = tab[col].to_numpy()
    if sd is not None:
        out["d"] = out["estimate"] / float(sd)
        out["d_ci_lower"] = out["ci_lower"] / float(sd)
        out["d_ci_upper"] = out["ci_upper"] / float(sd)
        out["d_sd"] = float(sd)
    if key != "z":
        out["method"] = method
    return out


def marginal_means(result: LMMResult, alpha: float = 0.05, ddf: str = "z") -> pd.DataFrame:
    """Model-estimated mean of every group x time cell, with SE and CI.

    Parameters
    ----------
    result : LMMResult
    alpha : float, default 0.05
    ddf : {"z", "satterthwaite", "kenward-roger"}, default "z"
        Normal (Wald) intervals, or *t* intervals with Satterthwaite's or Kenward-Roger's
        df (KR: adjusted SE; REML fits), as in :func:`contrasts`.

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome, group, time, estimate, se, ci_lower, ci_upper, n`` (``n`` =
        observed outcomes in the cell), ordered by group then time level; with ``ddf``
        other than ``"z"`` also ``df`` (after ``se``).

    Raises
    ------
    ValueError
        ``alpha`` outside (0, 1), an unknown ``ddf``, or ``"kenward-roger"`` with an ML
        fit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mcbi.stats.lmm import fit_lmm
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
    key = ddf.lower() if isinstance(ddf, str) else ddf
    if key not in DDF_METHODS:
        raise ValueError(f"ddf must be one of {list(DDF_METHODS)}, got {ddf!r}")
    if key == "z":
        tab = _combine(result, _cell_means_matrix(result), alpha)
        columns = ("estimate", "se", "ci_lower", "ci_upper")
    else:
        tab = contrast_test(result, _cell_means_matrix(result), ddf=key, alpha=alpha)
        columns = ("estimate", "se", "df", "ci_lower", "ci_upper")
    for col in columns:
        out[col] = tab[col].to_numpy()
    counts = {(r.group, r.time): int(r.n) for r in result.cell_counts.itertuples()}
    out["n"] = [counts.get(key, 0) for key in rows]
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
    >>> from mcbi.stats.lmm import fit_lmm
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


def icc_by_time(result: LMMResult) -> pd.DataFrame:
    """Intraclass correlation of the top level at each time level.

    The share of the model-implied variance at time ``t`` that lies between clusters:
    ``(cluster + cluster_time[t]) / (cluster + subject + cluster_time[t] + residual)``, with
    ``cluster_time[t]`` the wave's own component (``cluster_time="by_time"``), the common
    ``cluster_time`` (``True``) or 0 (no cluster x time term). It is the correlation of two
    subjects of one cluster observed at the same time ``t``. In a two-level model the top
    level is the subject: ``subject / (subject + residual)`` at every time (the correlation
    of one subject's outcomes at two times).

    Parameters
    ----------
    result : LMMResult

    Returns
    -------
    pandas.DataFrame
        Columns ``outcome, time, top, total, icc`` (``top`` = the top level's variance at
        ``t``, ``total`` = the model-implied variance at ``t``), one row per time level.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mcbi.stats.lmm import fit_lmm
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(40), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 60), "wave": np.tile([0, 1, 2], 40)})
    >>> df["y"] = np.repeat(rng.normal(size=40), 3) + rng.normal(size=120)
    >>> icc_by_time(fit_lmm(df, "y", "arm", "wave", "id"))["icc"].nunique()
    1
    """
    vc = result.variance_components.set_index("component")["variance"]
    rows = []
    for t in result.time_levels:
        if result.cluster is None:
            top = vc["subject"]
            total = vc["subject"] + vc["residual"]
        else:
            if result.cluster_time == "by_time":
                ct = vc[f"cluster_time[{t}]"]
            elif result.cluster_time:
                ct = vc["cluster_time"]
            else:
                ct = 0.0
            top = vc["cluster"] + ct
            total = top + vc["subject"] + vc["residual"]
        rows.append((result.outcome, t, float(top), float(total),
                     float(top / total) if total > 0 else float("nan")))
    return pd.DataFrame(rows, columns=["outcome", "time", "top", "total", "icc"])
