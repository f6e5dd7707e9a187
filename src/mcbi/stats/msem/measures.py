"""Fit measures for a two-level model, following lavaan 0.6's definitions."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .h1 import MomentFit

__all__ = ["fit_measures", "srmr_level", "plain_numbers"]


def _cor(cov: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.outer(d, d)


def srmr_level(sample: np.ndarray, implied: np.ndarray) -> float:
    """SRMR of one level: RMS of correlation residuals over the lower triangle incl. diagonal."""
    if np.any(np.diag(implied) <= 0):
        return float("nan")
    res = _cor(sample) - _cor(implied)
    tri = np.tril_indices(len(sample))
    return float(np.sqrt(np.mean(res[tri] ** 2)))


def fit_measures(logl: float, npar: int, h1: MomentFit, base: MomentFit,
                 sigma_w: np.ndarray, phi: np.ndarray, between_idx: np.ndarray,
                 ntotal: int, nclusters: int) -> dict[str, float]:
    """Chi-square test against H1, CFI/TLI against the baseline, RMSEA, SRMR, AIC/BIC.

    Parameters
    ----------
    logl, npar : float, int
        Log-likelihood and number of free parameters of the fitted model.
    h1, base : MomentFit
        Saturated and independence models.
    sigma_w, phi : ndarray
        Model-implied within covariance and between covariance of (z, y).
    between_idx : ndarray
        Indices of the variables of the level-2 block in ``phi``.
    ntotal, nclusters : int
        Numbers of level-1 units and clusters.
    """
    chisq = max(2.0 * (h1.logl - logl), 0.0)
    df = h1.npar - npar
    chisq_b = max(2.0 * (h1.logl - base.logl), 0.0)
    df_b = h1.npar - base.npar
    pvalue = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    denom = max(chisq_b - df_b, chisq - df, 0.0)
    cfi = 1.0 - max(chisq - df, 0.0) / denom if denom > 0 else 1.0
    if df > 0 and df_b > 0 and chisq_b / df_b != 1.0:
        tli = (chisq_b / df_b - chisq / df) / (chisq_b / df_b - 1.0)
    else:
        tli = 1.0 if df == 0 else float("nan")  # lavaan reports 1 for a saturated model
    rmsea = float(np.sqrt(max(chisq - df, 0.0) / (ntotal * df))) if df > 0 else 0.0
    bw = np.ix_(between_idx, between_idx)
    srmr_w = srmr_level(h1.sigma_w, sigma_w)
    srmr_b = srmr_level(h1.phi[bw], phi[bw])
    out = {
        "logl": logl, "npar": npar, "chisq": chisq, "df": df, "pvalue": pvalue,
        "baseline_chisq": chisq_b, "baseline_df": df_b, "cfi": cfi, "tli": tli,
        "rmsea": rmsea, "srmr": srmr_w + srmr_b, "srmr_within": srmr_w,
        "srmr_between": srmr_b, "aic": -2.0 * logl + 2.0 * npar,
        "bic": -2.0 * logl + npar * np.log(ntotal), "unrestricted_logl": h1.logl,
        "ntotal": ntotal, "nclusters": nclusters,
    }
    return plain_numbers(out)


_INTS = {"npar", "df", "baseline_df", "ntotal", "nclusters"}


def plain_numbers(measures: dict) -> dict:
    """Cast values to built-in ``int``/``float`` (NumPy scalars upset format specs)."""
    return {k: int(v) if k in _INTS else float(v) for k, v in measures.items()}
