"""The model frame of ``outcome ~ group * time`` (lme4's ``lFormula`` stage).

Checks the data and the arguments, fixes the level orders, builds the fixed-effect design
matrix and codes subjects, clusters and waves as integers. Nothing here depends on the
variance parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ModelFrame", "model_frame"]


@dataclass(frozen=True, eq=False)
class ModelFrame:
    """Everything the deviance and the result need from the data (see :func:`model_frame`).

    Attributes
    ----------
    X : numpy.ndarray
        Fixed-effect design matrix, ``nobs x p`` (treatment coding).
    terms : tuple of str
        Column names of ``X``: ``Intercept``, ``<group>[T.<level>]``, ``<time>[T.<level>]``,
        ``<group>[T.<level>]:<time>[T.<level>]`` (R's order).
    y : numpy.ndarray
        Observed outcomes.
    subject_code, cluster_code, time_code : numpy.ndarray
        Integer codes from 0: subject (within cluster), cluster (None for two-level) and
        wave (index into ``time_levels``).
    outcome, group, time, subject, cluster : str or None
        Column names.
    cluster_time : bool or str
        ``False``, ``True`` or ``"by_time"`` (validated).
    group_levels, time_levels : tuple
        Level orders, reference first.
    cell_counts : pandas.DataFrame
        Observed outcomes per cell: columns ``group``, ``time``, ``n``.
    """

    X: np.ndarray
    terms: tuple
    y: np.ndarray
    subject_code: np.ndarray
    cluster_code: np.ndarray | None
    time_code: np.ndarray
    outcome: str
    group: str
    time: str
    subject: str
    cluster: str | None
    cluster_time: bool | str
    group_levels: tuple
    time_levels: tuple
    cell_counts: pd.DataFrame

    @property
    def nobs(self) -> int:
        return len(self.y)

    @property
    def n_subjects(self) -> int:
        return int(self.subject_code.max()) + 1

    @property
    def n_clusters(self) -> int:
        """Number of clusters (0 for a two-level model)."""
        return 0 if self.cluster_code is None else int(self.cluster_code.max()) + 1

    @property
    def theta_names(self) -> tuple[str, ...]:
        """Random-effect components in the order of theta (the residual excluded)."""
        names = (["cluster"] if self.cluster is not None else []) + ["subject"]
        if self.cluster_time == "by_time":
            names += [f"cluster_time[{lv}]" for lv in self.time_levels]
        elif self.cluster_time:
            names += ["cluster_time"]
        return tuple(names)


def model_frame(
    data: pd.DataFrame,
    outcome: str,
    group: str,
    time: str,
    subject: str,
    cluster: str | None = None,
    *,
    group_levels: Any = None,
    time_levels: Any = None,
    cluster_time: bool | str = False,
) -> ModelFrame:
    """Validate the input of :func:`~mcbi.stats.lmm.fit_lmm` and build its model frame.

    Arguments as in :func:`~mcbi.stats.lmm.fit_lmm`; rows with a missing outcome are
    dropped.

    Raises
    ------
    ValueError
        As listed in :func:`~mcbi.stats.lmm.fit_lmm`.
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
    else:
        clus = pd.factorize(df[cluster])[0]
        subj = pd.MultiIndex.from_arrays([df[cluster], df[subject]]).factorize()[0]
    n, n_subjects = len(y), int(subj.max()) + 1
    if n_subjects >= n:
        raise ValueError(
            f"{n_subjects} subjects for {n} observations: the subject random intercept "
            "needs repeated observations (as in lme4, levels must be fewer than observations)"
        )
    tcode = df[time].map({lv: i for i, lv in enumerate(tlev)}).to_numpy(dtype=int)
    if cluster_time:
        n_ct = len(np.unique(clus * len(tlev) + tcode))
        if n_ct >= n:
            raise ValueError(
                f"{n_ct} cluster x time levels for {n} observations: the cluster_time "
                "random intercept needs fewer levels than observations (as in lme4)"
            )
    cells = counts.rename("n").reset_index().rename(columns={group: "group", time: "time"})
    return ModelFrame(
        X=X, terms=tuple(names), y=y, subject_code=subj, cluster_code=clus, time_code=tcode,
        outcome=outcome, group=group, time=time, subject=subject, cluster=cluster,
        cluster_time=cluster_time, group_levels=glev, time_levels=tlev, cell_counts=cells,
    )


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
    """Checked rows with an outcome (model columns only) and the level orders."""
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


def _design(
    df: pd.DataFrame, group: str, time: str, glev: tuple, tlev: tuple
) -> tuple[np.ndarray, list[str]]:
    """Treatment-coded design matrix of ``group * time`` and its column names."""
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

