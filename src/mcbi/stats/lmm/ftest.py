"""Joint *F* tests of several linear contrasts of the fixed effects, ``L beta = rhs``.

- **Satterthwaite** (lmerTest 3.1's ``contestMD``): with the eigen-decomposition ``L Phi L'
  = P D P'`` (eigenvalues above ``sqrt(eps)`` times the largest; their number ``q`` is the
  numerator df), ``F = sum_m (P_m' (L beta - rhs))^2 / d_m / q``; each rotated row ``P_m'
  L`` gets its Satterthwaite df ``nu_m`` (:func:`~mcbi.stats.lmm.ddf.satterthwaite_df`) and
  the denominator df is ``2 E / (E - q)``, ``E = sum_m nu_m / (nu_m - 2)`` (2 if any
  ``nu_m <= 2``; their mean if all agree within 1e-8).
- **Kenward-Roger** (pbkrtest 0.5's ``KRmodcomp``; REML fits): the Wald statistic with the
  adjusted covariance, ``F = lambda (L beta - rhs)' (L Phi_A L')^-1 (L beta - rhs) / q``,
  with pbkrtest's scaling factor ``lambda`` and denominator df
  (:func:`~mcbi.stats.lmm.ddf.kr_ddf`). A rank-deficient ``L`` is first reduced to ``q``
  independent rows (the rotated rows above), which leaves the hypothesis, the statistic
  and the df unchanged.
- **z**: the Wald chi-square divided by ``q``, referred to ``F(q, inf)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mcbi.stats.lmm.ddf import (
    DDF_METHODS,
    contrast_matrix,
    kenward_roger,
    kr_ddf,
    satterthwaite_df,
)
from mcbi.stats.lmm.result import LMMResult

__all__ = ["contrast_ftest"]


def _fstat_ddf(nu: np.ndarray, tol: float = 1e-8) -> float:
    """lmerTest's ``get_Fstat_ddf``: the F denominator df from the rows' df ``nu``."""
    if len(nu) == 1:
        return float(nu[0])
    if np.all(np.abs(np.diff(nu)) < tol):
        return float(np.mean(nu))
    if np.any(nu <= 2):
        return 2.0
    E = float(np.sum(nu / (nu - 2.0)))
    return 2.0 * E / (E - len(nu))


def contrast_ftest(result: LMMResult, L: Any, ddf: str = "z", rhs: Any = 0.0) -> pd.DataFrame:
    """Joint test of the rows of ``L``: ``L beta = rhs``.

    Parameters
    ----------
    result : LMMResult
    L : array_like or pandas.DataFrame
        Contrast rows (see :func:`~mcbi.stats.lmm.ddf.contrast_matrix`); may be rank
        deficient.
    ddf : {"z", "satterthwaite", "kenward-roger"}, default "z"
    rhs : float or array_like, default 0
        Value(s) of ``L beta`` under the hypothesis.

    Returns
    -------
    pandas.DataFrame
        One row: ``statistic`` (F), ``ndf`` (q, the rank of ``L``), ``df`` (denominator
        df), ``pvalue``, ``scaling`` (Kenward-Roger's factor, applied; 1 otherwise) and
        ``method``.

    Raises
    ------
    ValueError
        Unknown ``ddf``, a malformed contrast or ``rhs``, a contrast with no estimable
        direction, or Kenward-Roger on an ML fit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mcbi.stats.lmm import fit_lmm
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(20), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 30), "wave": np.tile([0, 1, 2], 20)})
    >>> df["y"] = np.repeat(rng.normal(size=20), 3) + rng.normal(size=60)
    >>> fit = fit_lmm(df, "y", "arm", "wave", "id", reml=True)
    >>> L = np.zeros((2, 6)); L[0, 4] = L[1, 5] = 1.0  # arm x wave
    >>> int(contrast_ftest(fit, L, ddf="kenward-roger")["ndf"].iloc[0])
    2
    """
    key = ddf.lower() if isinstance(ddf, str) else ddf
    if key not in DDF_METHODS:
        raise ValueError(f"ddf must be one of {list(DDF_METHODS)}, got {ddf!r}")
    L = contrast_matrix(result, L)
    try:
        rhs = np.broadcast_to(np.asarray(rhs, dtype=float), (L.shape[0],))
    except (TypeError, ValueError) as err:
        raise ValueError(f"rhs must be one number or one per contrast row: {err}") from err
    beta = result.fixed["estimate"].to_numpy()
    if np.any(rhs != 0):  # as lmerTest: shift beta by a solution of L b = rhs
        beta = beta - np.linalg.pinv(L) @ rhs
    phi = result.cov_fixed.to_numpy()
    d, P = np.linalg.eigh(L @ phi @ L.T)
    d, P = d[::-1], P[:, ::-1]  # decreasing, as R's eigen
    pos = d > max(np.sqrt(np.finfo(float).eps) * d[0], 0.0)
    q = int(pos.sum())
    if q == 0:
        raise ValueError("the contrast has no estimable direction (L Phi L' is 0)")
    PtL = P[:, pos].T @ L
    est = PtL @ beta
    scaling = 1.0
    if key == "z":
        F, df = float(np.sum(est**2 / d[pos])) / q, np.inf
    elif key == "satterthwaite":
        F = float(np.sum(est**2 / d[pos])) / q
        df = _fstat_ddf(satterthwaite_df(result, PtL)["df"].to_numpy())
    else:
        phi_a, Pm, W = kenward_roger(result)
        wald = float(est @ np.linalg.solve(PtL @ phi_a @ PtL.T, est))
        df, scaling = kr_ddf(PtL, phi, Pm, W)
        F = scaling * wald / q
    if np.isinf(df):  # F(q, inf) = chi-square(q) / q
        pvalue = float(stats.chi2.sf(q * F, q))
    else:
        pvalue = float(stats.f.sf(F, q, df)) if df > 0 else np.nan
    return pd.DataFrame({"statistic": [F], "ndf": [q], "df": [float(df)], "pvalue": [pvalue],
                         "scaling": [scaling], "method": [DDF_METHODS[key]]})
