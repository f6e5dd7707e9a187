"""Alternative starting points for the optimiser (multi-start estimation).

Three deterministic starts, all built from the same sample moments:

``"default"``
    :func:`~.estimate.start_values` (lavaan-like heuristics).
``"between_diagonal"``
    Every regression and covariance at 0 and every observed variance at its full
    moment-based value (within moments at level 1, between moments at level 2), so
    both implied covariance matrices start diagonal and the between level large.
``"single_level"``
    As if there were no clustering: level-1 variances of both-level variables carry the
    total variance, their level-2 (residual) variances start at 1 % of it, all
    regressions and covariances at 0.

User starts (``start(v)*x`` in the syntax) are kept in every start.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .data import ClusterData
from .estimate import sample_moments, start_values
from .matrices import ModelMatrices

__all__ = ["START_NAMES", "start_points", "parameter_scales"]

START_NAMES = ("default", "between_diagonal", "single_level")


def start_points(starts: str | Sequence, partable: pd.DataFrame, mm: ModelMatrices,
                 data: ClusterData) -> list[tuple[str, np.ndarray]]:
    """Resolve the ``starts`` argument of :func:`~.fit.fit` into named start vectors.

    Parameters
    ----------
    starts : str or sequence
        ``"default"`` (one start, the default behaviour), ``"multi"`` (all of
        :data:`START_NAMES`), or a sequence whose items are names from
        :data:`START_NAMES` or arrays of length ``npar``.
    """
    if isinstance(starts, str):
        if starts == "multi":
            starts = START_NAMES
        elif starts in START_NAMES:
            starts = [starts]
        else:
            raise ValueError(f"starts must be 'multi', one of {START_NAMES} or a sequence, "
                             f"got {starts!r}")
    if len(starts) == 0:
        raise ValueError("starts must not be empty")
    base = start_values(partable, mm, data)
    out: list[tuple[str, np.ndarray]] = []
    for k, item in enumerate(starts):
        if isinstance(item, str):
            if item not in START_NAMES:
                raise ValueError(f"unknown start {item!r}; use one of {START_NAMES}")
            out.append((item, _named(item, base, partable, mm, data)))
        else:
            vec = np.asarray(item, dtype=float)
            if vec.shape != (mm.npar,) or not np.all(np.isfinite(vec)):
                raise ValueError(f"start {k} must be a finite vector of length {mm.npar}")
            out.append((f"user{k}", vec))
    return out


def _named(name: str, base: np.ndarray, partable: pd.DataFrame, mm: ModelMatrices,
           data: ClusterData) -> np.ndarray:
    if name == "default":
        return base.copy()
    theta = base.copy()
    rows = partable[(partable["free"] > 0) & (partable["op"] != ":=")]
    user_start = rows["start_user"].notna().to_numpy()
    idx = rows["free"].to_numpy(dtype=int) - 1
    op = rows["op"].to_numpy()
    is_var = (op == "~~") & (rows["lhs"] == rows["rhs"]).to_numpy()
    offdiag = ((op == "~~") & ~is_var) | (op == "~")
    reset = offdiag & ~user_start
    sw, sb, _ = sample_moments(data)
    roles = mm.roles
    within = dict(zip(roles.y, np.diag(sw), strict=True))
    between = dict(zip(roles.between_vars, np.diag(sb), strict=True))
    theta[idx[reset]] = 0.0
    for k, r in zip(idx, rows.itertuples(), strict=True):
        if pd.notna(r.start_user) or not (r.op == "~~" and r.lhs == r.rhs):
            continue
        if name == "between_diagonal":
            source = within if r.level == 1 else between
            if r.lhs in source:
                theta[k] = source[r.lhs]
        elif r.lhs in within and r.lhs not in roles.within_only:
            total = within[r.lhs] + between[r.lhs]
            theta[k] = total if r.level == 1 else 0.01 * total
    return theta


def parameter_scales(partable: pd.DataFrame, mm: ModelMatrices, data: ClusterData) -> np.ndarray:
    """Typical size of each free parameter from the variables' total variances.

    ``y ~ x``: sd(y) / sd(x); ``x ~~ y``: sd(x) sd(y); ``y ~1``: sd(y); 1 otherwise
    (loadings, latent variables). The bounded optimiser works on θ / scale, which makes
    the problem far better conditioned when the variables' units differ.
    """
    sw, sb, _ = sample_moments(data)
    roles = mm.roles
    var = dict(zip(roles.z, np.diag(sb)[:mm.p_z], strict=True))
    var.update(zip(roles.y, np.diag(sw) + np.diag(sb)[mm.p_z:], strict=True))
    scale = np.ones(mm.npar)
    for r in partable[(partable["free"] > 0) & (partable["op"] != ":=")].itertuples():
        left, right = var.get(r.lhs, 1.0), var.get(r.rhs, 1.0)
        if r.op == "~":
            value = np.sqrt(left / right)
        elif r.op == "~~":
            value = np.sqrt(left * right)
        elif r.op == "~1":
            value = np.sqrt(left)
        else:
            value = 1.0
        scale[r.free - 1] = value if np.isfinite(value) and value > 0 else 1.0
    return scale
