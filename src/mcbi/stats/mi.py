"""Multiple imputation for the group x time mixed models: imputation draws, analysis of the
completed data sets, and Rubin's rules.

General helpers, a long DataFrame and column names in, tidy DataFrames out:

- :func:`impute_lmm` completes a long table by drawing every missing outcome of the grid
  ``units x time levels`` from a fitted model's conditional distribution given the unit's
  (three levels: the cluster's) observed outcomes. Parameter uncertainty enters through a
  parametric draw of the fixed effects, ``beta* ~ N(beta_hat, vcov(beta_hat))``, one per
  imputation; the variance components are held at their estimates (so the imputations are
  slightly less variable than fully proper ones when clusters are few).
- :func:`mi_contrasts` analyses every completed data set with the model of
  :func:`~mcbi.stats.lmm.fit_lmm` and returns the contrasts of
  :func:`~mcbi.stats.lmm.contrasts` per imputation. All completed data sets share one
  design, so the variance components are estimated once, on the first of them, and held
  for the others; the fixed effects are re-estimated in each by generalized least squares
  at those variances, as are the contrasts (their SE and df, which depend on the design
  and the variances only, are the first set's).
- :func:`rubin` pools estimates and their variances with Rubin's (1987) rules and
  Barnard and Rubin's (1999) small-sample degrees of freedom; :func:`pool` does so for
  every group of a tidy per-imputation table.

Nothing here knows the trial; errors in the input raise ValueError.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from mcbi.stats.lmm import LMMResult, contrasts, fit_lmm
from mcbi.stats.lmm.frame import model_frame
from mcbi.stats.lmm.varstruct import VarianceStructure
from mcbi.stats.wald import check_alpha, wald_t

__all__ = ["IMPUTATION", "IMPUTED", "impute_lmm", "mi_contrasts", "pool", "rubin"]

IMPUTATION, IMPUTED = "imputation", "imputed"
"""Columns :func:`impute_lmm` adds: the imputation number (1..m) and whether the value was
drawn."""

POOLED_COLUMNS = ("estimate", "se", "statistic", "df", "pvalue", "ci_lower", "ci_upper", "m",
                  "within", "between", "total", "riv", "lambda", "fmi", "df_complete")


def rubin(estimates: Any, variances: Any, df_complete: float = np.inf,
          alpha: float = 0.05) -> pd.DataFrame:
    """Pool one quantity over ``m`` imputations with Rubin's rules.

    ``Q = mean(q_i)``, ``W = mean(u_i)`` (within), ``B = var(q_i)`` (between, ``m - 1`` in
    the denominator), total ``T = W + (1 + 1/m) B``; the test is ``Q / sqrt(T)`` against a
    *t* distribution with Barnard and Rubin's (1999) df ``1 / (1/nu_old + 1/nu_obs)``, where
    ``nu_old = (m - 1) / lambda^2``, ``lambda = (1 + 1/m) B / T`` and ``nu_obs = (nu_com + 1)
    / (nu_com + 3) nu_com (1 - lambda)``; with ``df_complete`` infinite the df is Rubin's
    ``nu_old`` (normal reference when ``B = 0``). ``riv = (1 + 1/m) B / W`` and ``fmi =
    (riv + 2 / (df + 3)) / (riv + 1)`` as in R's ``mice::pool``.

    Parameters
    ----------
    estimates, variances : array_like
        One estimate and its squared SE per imputation (one-dimensional, equal length,
        at least 2, finite; variances non-negative).
    df_complete : float, default inf
        Degrees of freedom of the complete-data test (positive; ``inf`` for a *z* test).
    alpha : float, default 0.05
        The interval has level ``1 - alpha``.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate, se, statistic, df, pvalue, ci_lower, ci_upper, m, within,
        between, total, riv, lambda, fmi, df_complete``.

    Raises
    ------
    ValueError
        Fewer than 2 imputations, lengths that differ, non-finite values, a negative
        variance, a non-positive ``df_complete`` or ``alpha`` outside (0, 1).

    Examples
    --------
    >>> tab = rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.06], df_complete=30)
    >>> round(float(tab["se"].iloc[0]), 4)
    0.3055
    """
    alpha = check_alpha(alpha)
    try:
        q = np.asarray(estimates, dtype=float)
        u = np.asarray(variances, dtype=float)
        nu_com = float(df_complete)
    except (TypeError, ValueError) as err:
        raise ValueError(f"estimates, variances and df_complete must be numeric: {err}") from err
    if q.ndim != 1 or u.shape != q.shape:
        raise ValueError("estimates and variances must be one-dimensional and of equal length, "
                         f"got shapes {q.shape} and {u.shape}")
    m = len(q)
    if m < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations, got {m}")
    if not (np.isfinite(q).all() and np.isfinite(u).all()):
        raise ValueError("estimates and variances must be finite")
    if (u < 0).any():
        raise ValueError("variances must be non-negative")
    if not nu_com > 0:
        raise ValueError(f"df_complete must be positive (inf for a z test), got {df_complete!r}")
    est, within, between = float(q.mean()), float(u.mean()), float(q.var(ddof=1))
    total = within + (1.0 + 1.0 / m) * between
    lam = (1.0 + 1.0 / m) * between / total if total > 0 else 0.0
    riv = (1.0 + 1.0 / m) * between / within if within > 0 else np.inf
    nu_old = (m - 1) / lam**2 if lam > 0 else np.inf
    if np.isfinite(nu_com):
        nu_obs = (nu_com + 1.0) / (nu_com + 3.0) * nu_com * (1.0 - lam)
        df = 1.0 / (1.0 / nu_old + 1.0 / nu_obs) if nu_obs > 0 else 0.0
    else:
        df = nu_old
    fmi = (riv + 2.0 / (df + 3.0)) / (riv + 1.0) if np.isfinite(riv) else 1.0
    tab = wald_t([est], [np.sqrt(total)], [df], alpha)
    tab = tab.assign(m=m, within=within, between=between, total=total, riv=riv, **{"lambda": lam},
                     fmi=fmi, df_complete=nu_com)
    tab.insert(3, "df", df)
    return tab[list(POOLED_COLUMNS)]


def pool(table: pd.DataFrame, by: Sequence[str], estimate: str = "estimate", se: str = "se",
         df: str | None = None, imputation: str = IMPUTATION,
         alpha: float = 0.05) -> pd.DataFrame:
    """:func:`rubin` for every group of a per-imputation table.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per imputation and quantity.
    by : sequence of str
        Columns that identify a quantity (one row per imputation within each group).
    estimate, se : str
        Columns of the estimate and its standard error.
    df : str, optional
        Column of the complete-data df (its mean within the group is ``df_complete``);
        default: infinite (*z*).
    imputation : str, default "imputation"
        Column of the imputation number.
    alpha : float, default 0.05

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns then those of :func:`rubin`, one row per group (in order of
        first appearance).

    Raises
    ------
    ValueError
        Missing columns, an imputation repeated within a group, or as :func:`rubin`.
    """
    need = [*by, estimate, se, imputation] + ([df] if df is not None else [])
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise ValueError(f"column(s) not in the table: {missing!r}")
    rows = []
    for key, sub in table.groupby(list(by), sort=False, dropna=False):
        if sub[imputation].duplicated().any():
            raise ValueError(f"imputation repeated within the group {key!r}")
        nu = float(sub[df].mean()) if df is not None else np.inf
        res = rubin(sub[estimate], sub[se].to_numpy(dtype=float) ** 2, nu, alpha)
        for col, value in zip(by, key if isinstance(key, tuple) else (key,), strict=True):
            res.insert(len(res.columns) - len(POOLED_COLUMNS), col, [value])
        rows.append(res)
    if not rows:
        raise ValueError("the table has no rows to pool")
    return pd.concat(rows, ignore_index=True)


def _grid(data: pd.DataFrame, result: LMMResult) -> pd.DataFrame:
    """Every unit of ``data`` at every time level of ``result``, with its outcome or NaN."""
    units = [c for c in (result.cluster, result.subject) if c is not None]
    keys = [*units, result.group, result.time, result.outcome]
    missing = [c for c in keys if c not in data.columns]
    if missing:
        raise ValueError(f"column(s) not in data: {missing!r}")
    data = data[keys]
    if data[[*units, result.group]].isna().any().any():
        raise ValueError(f"missing values in column(s) {[*units, result.group]!r}")
    arms = data.groupby(units, sort=False)[result.group].nunique()
    if (arms > 1).any():
        raise ValueError(f"a unit belongs to more than one level of {result.group!r}: "
                         f"{list(arms[arms > 1].index[:3])!r}")
    if data.duplicated([*units, result.time]).any():
        raise ValueError(f"a unit has two rows at one level of {result.time!r}")
    people = data[[*units, result.group]].drop_duplicates(units)
    people = people[people[result.group].isin(result.group_levels)]
    times = pd.DataFrame({result.time: list(result.time_levels)})
    grid = people.merge(times, how="cross")
    grid = grid.merge(data[[*units, result.time, result.outcome]], on=[*units, result.time],
                      how="left")
    return grid.reset_index(drop=True)


def _covariance_blocks(frame: Any, psi: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(rows, V)`` per block of the marginal covariance at ``psi``, rows in frame order."""
    vs = VarianceStructure(frame)
    out = []
    for (_, _, G), rows in zip(vs.groups, vs.rows, strict=True):
        V = np.einsum("m,mbij->bij", psi, G)
        out += list(zip(rows, V, strict=True))
    return out


def _psi(result: LMMResult) -> np.ndarray:
    vc = result.variance_components.set_index("component")["variance"]
    names = [*(result.frame.theta_names if result.frame is not None else ()), "residual"]
    return vc.loc[names].to_numpy(dtype=float)


def impute_lmm(result: LMMResult, data: pd.DataFrame, m: int = 20,
               seed: int | Sequence[int] = 0) -> pd.DataFrame:
    """Complete ``data`` ``m`` times by draws from the fitted model ``result``.

    The grid is every unit of ``data`` (a subject, within its cluster for a three-level
    model) at every time level of ``result``; a unit without any observed outcome is drawn
    from the model's marginal distribution. For imputation ``i`` the fixed effects are
    drawn from ``N(beta_hat, vcov(beta_hat))`` and the missing outcomes of each block (a
    cluster, or a subject for a two-level model) from their normal distribution given the
    block's observed outcomes, with the fitted variance components.

    Parameters
    ----------
    result : LMMResult
        The fit (ML or REML) of ``data``; its column names are used.
    data : pandas.DataFrame
        Long table, one row per unit and time level (rows for missing waves may be
        absent).
    m : int, default 20
        Number of imputations (at least 2).
    seed : int or sequence of int, default 0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.DataFrame
        ``m`` stacked copies of the grid: the unit, group and time columns, the outcome
        (observed or drawn), :data:`IMPUTATION` (1..m) and :data:`IMPUTED` (bool).

    Raises
    ------
    ValueError
        ``m`` below 2, columns missing, a unit in two groups or twice at one time, or a
        result without its model frame.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(30), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 45), "wave": np.tile([0, 1, 2], 30)})
    >>> df["y"] = np.repeat(rng.normal(size=30), 3) + rng.normal(size=90)
    >>> df.loc[df.index % 7 == 3, "y"] = np.nan
    >>> done = impute_lmm(fit_lmm(df, "y", "arm", "wave", "id"), df, m=3, seed=1)
    >>> len(done), int(done["y"].isna().sum())
    (270, 0)
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2:
        raise ValueError(f"m must be a whole number of at least 2 imputations, got {m!r}")
    if result.frame is None:
        raise ValueError("the fit carries no model frame (made by fit_lmm?)")
    grid = _grid(data, result)
    y = grid[result.outcome].to_numpy(dtype=float)
    seen = np.isfinite(y)
    filled = grid.assign(**{result.outcome: np.where(seen, y, 0.0)})
    frame = model_frame(filled, result.outcome, result.group, result.time, result.subject,
                        result.cluster, group_levels=result.group_levels,
                        time_levels=result.time_levels, cluster_time=result.cluster_time)
    rng = np.random.default_rng(seed)
    beta = result.fixed["estimate"].to_numpy()
    cov = result.cov_fixed.to_numpy()
    draws = rng.multivariate_normal(beta, cov, size=m, method="eigh")  # (m, p)
    mean = frame.X @ draws.T  # (n, m)
    Y = np.repeat(y[:, None], m, axis=1)
    for rows, V in _covariance_blocks(frame, _psi(result)):
        o, u = rows[seen[rows]], rows[~seen[rows]]
        if len(u) == 0:
            continue
        io, iu = seen[rows], ~seen[rows]
        Voo, Vuo, Vuu = V[np.ix_(io, io)], V[np.ix_(iu, io)], V[np.ix_(iu, iu)]
        if len(o):
            K = np.linalg.solve(Voo, Vuo.T).T
            cond_mean = mean[u] + K @ (Y[o] - mean[o])
            cond_cov = Vuu - K @ Vuo.T
        else:
            cond_mean, cond_cov = mean[u], Vuu
        w, Q = np.linalg.eigh((cond_cov + cond_cov.T) / 2.0)
        root = Q * np.sqrt(np.clip(w, 0.0, None))
        Y[u] = cond_mean + root @ rng.standard_normal((len(u), m))
    out = pd.concat([grid.assign(**{result.outcome: Y[:, i], IMPUTATION: i + 1,
                                    IMPUTED: ~seen}) for i in range(m)], ignore_index=True)
    return out


_LINEAR_MAPS: dict[tuple, np.ndarray] = {}


def _linear_map(result: LMMResult, alpha: float) -> np.ndarray:
    """``L`` with ``contrasts(result)["estimate"] = L @ beta`` (the contrasts are linear in
    the fixed effects: column ``j`` is the contrasts of the ``j``-th unit vector). It depends
    on the terms and levels only, so it is kept for the next fit of the same design."""
    key = (tuple(result.fixed["term"]), result.group, result.time, result.group_levels,
           result.time_levels)
    if key not in _LINEAR_MAPS:
        p = len(result.fixed)
        cols = []
        for j in range(p):
            unit = result.fixed.assign(estimate=np.eye(p)[j])
            cols.append(contrasts(dataclasses.replace(result, fixed=unit), alpha)["estimate"])
        _LINEAR_MAPS[key] = np.column_stack(cols)
    return _LINEAR_MAPS[key]


def mi_contrasts(completed: pd.DataFrame, outcome: str, group: str, time: str, subject: str,
                 cluster: str | None = None, *, imputation: str = IMPUTATION,
                 group_levels: Any = None, time_levels: Any = None,
                 cluster_time: bool | str = False, reml: bool = True, ddf: str = "z",
                 alpha: float = 0.05, start: Any = None) -> pd.DataFrame:
    """The contrasts of :func:`~mcbi.stats.lmm.contrasts` in every completed data set.

    The model of :func:`~mcbi.stats.lmm.fit_lmm` is fitted to the first imputation; the
    fixed effects of every imputation are then its generalized least-squares estimates at
    those variance components (the first imputation's are the fit's own), and each
    contrast keeps the first fit's SE and df (they depend on the design and the variances
    only, and every completed set has the same design).

    Parameters
    ----------
    completed : pandas.DataFrame
        Stacked completed data sets (e.g. :func:`impute_lmm`), every imputation with the
        same rows in the same order and no missing outcome.
    outcome, group, time, subject, cluster, group_levels, time_levels, cluster_time, reml
        As in :func:`~mcbi.stats.lmm.fit_lmm`.
    imputation : str, default "imputation"
        Column of the imputation number.
    ddf : {"z", "satterthwaite", "kenward-roger"}, default "z"
        As in :func:`~mcbi.stats.lmm.contrasts`.
    alpha : float, default 0.05
    start : array-like, optional
        Warm start of the first completed set's fit (as in
        :func:`~mcbi.stats.lmm.fit_lmm`), e.g. the imputation model's own optimum.

    Returns
    -------
    pandas.DataFrame
        ``imputation`` then the columns of :func:`~mcbi.stats.lmm.contrasts` (without
        ``d``), one block of rows per imputation; with ``ddf="z"`` a ``df`` column of
        ``inf``.

    Raises
    ------
    ValueError
        Missing columns, a missing outcome, imputations whose rows differ, a fit that does
        not converge, or as :func:`~mcbi.stats.lmm.fit_lmm`.
    """
    for col in (imputation, outcome, group, time, subject):
        if col not in completed.columns:
            raise ValueError(f"column {col!r} not in the completed data")
    if completed[outcome].isna().any():
        raise ValueError(f"outcome column {outcome!r} has missing values: not completed data")
    rows_of = completed.groupby(imputation, sort=False).indices
    ids = list(rows_of)
    design_cols = [c for c in (cluster, subject, group, time) if c is not None]
    keys = pd.util.hash_pandas_object(completed[design_cols], index=False).to_numpy()
    n = len(rows_of[ids[0]])
    if (any(len(r) != n for r in rows_of.values())
            or any((keys[r] != keys[rows_of[ids[0]]]).any() for r in rows_of.values())):
        raise ValueError("every imputation must have the same rows in the same order")
    fit = fit_lmm(completed.iloc[rows_of[ids[0]]], outcome, group, time, subject, cluster,
                  group_levels=group_levels, time_levels=time_levels, alpha=alpha,
                  cluster_time=cluster_time, reml=reml, start=start)
    if not fit.converged:
        raise ValueError("the analysis model did not converge on the first completed data set")
    base = contrasts(fit, alpha, ddf=ddf)
    base = base.drop(columns=[c for c in base.columns if c.startswith("d_") or c == "d"])
    if "df" not in base.columns:
        base.insert(base.columns.get_loc("statistic") + 1, "df", np.inf)
    L = _linear_map(fit, alpha)
    p = fit.frame.X.shape[1]
    xvx, xv = np.zeros((p, p)), np.zeros((p, n))
    for rows, V in _covariance_blocks(fit.frame, _psi(fit)):
        X = fit.frame.X[rows]
        T = np.linalg.solve(V, X)  # V^-1 X
        xvx += X.T @ T
        xv[:, rows] = T.T
    values = completed[outcome].to_numpy(dtype=float)
    Y = np.column_stack([values[rows_of[i]] for i in ids])
    estimates = L @ np.linalg.solve(xvx, xv @ Y)  # (contrasts, imputations)
    n_con = len(base)
    tab = wald_t(estimates.T.ravel(), np.tile(base["se"].to_numpy(), len(ids)),
                 np.tile(base["df"].to_numpy(), len(ids)), alpha)
    out = pd.concat([base[["outcome", "contrast", "group", "time"]]] * len(ids),
                    ignore_index=True)
    out.insert(0, imputation, np.repeat(ids, n_con))
    for col in ("estimate", "se", "statistic", "df", "pvalue", "ci_lower", "ci_upper"):
        out[col] = tab[col].to_numpy() if col != "df" else np.tile(base["df"].to_numpy(),
                                                                     len(ids))
    return out
