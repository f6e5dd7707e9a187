"""Validate a data frame and reduce it to what the two-level likelihood needs.

Complete clusters are summarised by cluster size (pooled within cross-products, and the
mean and covariance of the cluster vectors b_j = (z_j, ȳ_j) for each size); clusters with
a missing cell are kept as padded per-cluster vectors grouped by size for FIML.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .partable import Roles

__all__ = ["ClusterData", "prepare_data"]


@dataclass
class ClusterData:
    """Data reduced for the likelihood (see module docstring)."""

    p_y: int
    p_z: int
    n_total: int
    n_clusters: int
    # complete clusters
    n_within_df: int = 0  # N_c - J_c
    s_pw: np.ndarray | None = None  # pooled within covariance (divisor N_c - J_c)
    sizes: np.ndarray = field(default_factory=lambda: np.zeros(0))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    means: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    covs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    n_complete_rows: int = 0
    n_complete_clusters: int = 0
    # incomplete clusters, one dict per cluster size
    groups: list[dict] = field(default_factory=list)
    # raw arrays (sorted by cluster) for start values and H1 statistics
    y: np.ndarray | None = None
    z: np.ndarray | None = None
    codes: np.ndarray | None = None
    n_obs_values: int = 0


def _check_columns(data: pd.DataFrame, cluster: str, roles: Roles) -> None:
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame")
    if cluster not in data.columns:
        raise ValueError(f"cluster column {cluster!r} is not in the data")
    missing = [v for v in roles.y + roles.z if v not in data.columns]
    if missing:
        raise ValueError(f"variables in the model but not in the data: {missing}")
    for v in roles.y + roles.z:
        if not pd.api.types.is_numeric_dtype(data[v]):
            raise ValueError(f"variable {v!r} is not numeric")


def prepare_data(data: pd.DataFrame, cluster: str, roles: Roles,
                 missing: str = "ml", summarize: bool = True) -> ClusterData:
    """Validate ``data`` and compute the statistics used by the likelihood.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per level-1 unit, in any order.
    cluster : str
        Name of the cluster column.
    roles : Roles
        Variables of the model.
    missing : {"ml", "listwise"}
        FIML over observed cells, or drop rows with any missing model variable.
    summarize : bool
        Summarise complete clusters by size (default). ``False`` sends every cluster
        through the per-cluster path (same likelihood, slower; used to cross-check).

    Returns
    -------
    ClusterData
    """
    if missing not in ("ml", "listwise"):
        raise ValueError("missing must be 'ml' or 'listwise'")
    _check_columns(data, cluster, roles)
    df = data[[cluster] + roles.y + roles.z].copy()
    if df[cluster].isna().any():
        raise ValueError(f"cluster column {cluster!r} has missing values")
    for v in roles.z:
        spread = df.groupby(cluster, sort=False)[v].nunique(dropna=True)
        if (spread > 1).any():
            raise ValueError(
                f"level-2 variable {v!r} is not constant within clusters "
                f"(e.g. cluster {spread[spread > 1].index[0]!r})")
    if missing == "listwise":
        df = df.dropna()
    else:
        df = df[df[roles.y].notna().any(axis=1)]
    if len(df) == 0:
        raise ValueError("no rows left after removing missing data")
    codes, _ = pd.factorize(df[cluster], sort=True)
    order = np.argsort(codes, kind="stable")
    codes = codes[order]
    y = df[roles.y].to_numpy(dtype=float)[order]
    zrows = df[roles.z].to_numpy(dtype=float)[order]
    n_clusters = int(codes.max()) + 1
    p_y, p_z = len(roles.y), len(roles.z)
    z = np.full((n_clusters, p_z), np.nan)
    for k in range(p_z):
        col = zrows[:, k]
        ok = ~np.isnan(col)
        z[codes[ok], k] = col[ok]
    sizes = np.bincount(codes, minlength=n_clusters)
    out = ClusterData(p_y=p_y, p_z=p_z, n_total=len(y), n_clusters=n_clusters,
                      y=y, z=z, codes=codes)
    out.n_obs_values = int((~np.isnan(y)).sum() + (~np.isnan(z)).sum())
    row_ok = ~np.isnan(y).any(axis=1)
    clus_ok = np.bincount(codes, weights=row_ok, minlength=n_clusters) == sizes
    clus_ok &= ~np.isnan(z).any(axis=1)
    if not summarize:
        clus_ok[:] = False
    _complete_stats(out, y, z, codes, sizes, clus_ok)
    _incomplete_groups(out, y, z, codes, sizes, ~clus_ok)
    return out


def _complete_stats(out: ClusterData, y, z, codes, sizes, clus_ok) -> None:
    rows = clus_ok[codes]
    if not rows.any():
        out.s_pw = np.zeros((out.p_y, out.p_y))
        return
    yc, cc = y[rows], codes[rows]
    sums = np.zeros((len(sizes), out.p_y))
    np.add.at(sums, cc, yc)
    ybar = sums[clus_ok] / sizes[clus_ok, None]
    dev = yc - (sums / np.maximum(sizes, 1)[:, None])[cc]
    n_c, j_c = int(rows.sum()), int(clus_ok.sum())
    out.n_complete_rows, out.n_complete_clusters = n_c, j_c
    out.n_within_df = n_c - j_c
    out.s_pw = dev.T @ dev / max(n_c - j_c, 1)
    b = np.hstack([z[clus_ok], ybar])
    s_ok = sizes[clus_ok]
    uniq = np.unique(s_ok)
    out.sizes = uniq.astype(float)
    out.counts = np.array([(s_ok == s).sum() for s in uniq], dtype=float)
    means, covs = [], []
    for s in uniq:
        bs = b[s_ok == s]
        mean = bs.mean(axis=0)
        d = bs - mean
        means.append(mean)
        covs.append(d.T @ d / len(bs))
    out.means, out.covs = np.array(means), np.array(covs)


_BATCH_COST = 7e4
_MATRIX_COST = 700.0
"""Cost model of the FIML loop in units of (matrix dimension)³: a batch costs
``_BATCH_COST`` (a few dozen numpy calls) plus, per cluster, ``_MATRIX_COST`` + dim³
(measured: numpy's batched Cholesky and inverse)."""


def _batch_cost(members: list, p_y: int, p_z: int) -> float:
    dim = p_z + max(m for m, _ in members) * p_y
    return _BATCH_COST + sum(k for _, k in members) * (_MATRIX_COST + dim ** 3)


def _size_batches(sizes: np.ndarray, counts: list, p_y: int, p_z: int) -> list[list]:
    """Merge consecutive cluster sizes into batches padded to the largest size of each,
    while one padded batch is cheaper than two (see ``_batch_cost``)."""
    batches: list[list] = []
    for n, c in zip(sizes, counts, strict=True):
        if batches:
            prev = batches[-1]
            apart = _batch_cost(prev, p_y, p_z) + _batch_cost([(n, c)], p_y, p_z)
            if _batch_cost(prev + [(n, c)], p_y, p_z) <= apart:
                prev.append((n, c))
                continue
        batches.append([(n, c)])
    return batches


def _incomplete_groups(out: ClusterData, y, z, codes, sizes, bad) -> None:
    p_y, p_z = out.p_y, out.p_z
    q = p_z + p_y
    starts = np.concatenate([[0], np.cumsum(sizes)])
    uniq = np.unique(sizes[bad])
    counts = [int((bad & (sizes == n)).sum()) for n in uniq]
    for batch in _size_batches(uniq, counts, p_y, p_z):
        n = int(max(m for m, _ in batch))
        ids = np.flatnonzero(bad & np.isin(sizes, [m for m, _ in batch]))
        dim = p_z + n * p_y
        x = np.full((len(ids), dim), np.nan)
        for r, c in enumerate(ids):
            x[r, :p_z] = z[c]
            x[r, p_z:p_z + sizes[c] * p_y] = y[starts[c]:starts[c + 1]].ravel()
        obs = ~np.isnan(x)
        x[~obs] = 0.0
        lmap = np.zeros((dim, q))
        lmap[:p_z, :p_z] = np.eye(p_z)
        for i in range(n):
            lmap[p_z + i * p_y: p_z + (i + 1) * p_y, p_z:] = np.eye(p_y)
        mask = obs[:, :, None] & obs[:, None, :]
        # flat positions of the n diagonal Σ_W blocks in a dim x dim matrix
        a, b = np.meshgrid(np.arange(p_y), np.arange(p_y), indexing="ij")
        off = p_z + np.arange(n)[:, None, None] * p_y
        within = ((off + a) * dim + (off + b)).ravel()
        out.groups.append({
            "n": n, "x": x, "obs": obs.astype(float), "mask": mask.astype(float),
            "notmask": np.eye(dim)[None] * (~mask), "lmap": lmap, "nobs": int(obs.sum()),
            "within": within,
        })
