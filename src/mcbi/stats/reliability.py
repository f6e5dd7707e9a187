"""Internal consistency: Cronbach's alpha and McDonald's omega (one-factor model).

General tools: they take a DataFrame of item columns (already reverse-keyed) and return
numbers or a summary. Missing responses are handled in one of two ways:

``"pairwise"`` (the default)
    Each item covariance is computed from the rows that answered both items (the
    available-case covariance matrix), so every answer is used. Alpha and omega are
    functions of that matrix. A pairwise matrix need not be positive definite; then
    :func:`reliability` smooths it before computing both (eigenvalues of the correlation
    matrix below a small floor raised to it and the matrix rescaled, as
    ``psych::cor.smooth`` does) and says so in its note. :func:`cronbach_alpha` and
    :func:`mcdonald_omega` on their own use the unsmoothed and smoothed matrix.
``"listwise"``
    Only rows that answered every item are used.

:func:`reliability` never raises for data that do not allow an estimate: it returns the
numbers it can compute, the n they rest on, and the reason for a missing one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

MISSING = ("pairwise", "listwise")
"""Ways of handling missing responses (see the module docstring)."""

MIN_RESPONSES = 3
"""Fewest respondents to every pair of items for which alpha or omega is computed."""


def _check_missing(missing: str) -> None:
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {', '.join(MISSING)}, not {missing!r}")


def pairwise_n(items: pd.DataFrame) -> np.ndarray:
    """Number of rows answering both items, for every pair of item columns (a k x k array)."""
    observed = items.notna().to_numpy(dtype=float)
    return observed.T @ observed


def item_covariance(items: pd.DataFrame, missing: str = "pairwise") -> np.ndarray:
    """Item covariance matrix (ddof 1), pairwise-complete or from complete rows.

    Raises
    ------
    ValueError
        With fewer than two items, or fewer than :data:`MIN_RESPONSES` rows behind some
        covariance (pairwise) or complete rows (listwise).
    """
    _check_missing(missing)
    if items.shape[1] < 2:
        raise ValueError("reliability needs at least two items")
    data = items.astype(float)
    if missing == "listwise":
        data = data.dropna()
        if len(data) < MIN_RESPONSES:
            raise ValueError(f"reliability needs at least {MIN_RESPONSES} complete rows")
        return np.cov(data.to_numpy(), rowvar=False)
    if pairwise_n(data).min() < MIN_RESPONSES:
        raise ValueError(f"reliability needs at least {MIN_RESPONSES} rows answering each "
                         "pair of items")
    return data.cov(min_periods=MIN_RESPONSES).to_numpy()


def alpha_from_covariance(cov: np.ndarray) -> float:
    """Cronbach's alpha ``k / (k - 1) * (1 - trace(C) / sum(C))`` of a covariance matrix."""
    cov = np.asarray(cov, dtype=float)
    k = cov.shape[0]
    if cov.ndim != 2 or k < 2 or cov.shape[1] != k:
        raise ValueError("need a square covariance matrix of at least two items")
    total = cov.sum()
    if not total > 0:
        raise ValueError("the total score has zero variance")
    return float(k / (k - 1) * (1 - np.trace(cov) / total))


def cronbach_alpha(items: pd.DataFrame, missing: str = "pairwise") -> float:
    """Cronbach's alpha of the item columns.

    ``alpha = k / (k - 1) * (1 - sum(item variances) / variance(total))``, with the total's
    variance the sum of the item covariance matrix (:func:`item_covariance`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]})
    >>> round(cronbach_alpha(df), 6)
    1.0
    """
    return alpha_from_covariance(item_covariance(items, missing))


def smooth_covariance(cov: np.ndarray, floor: float = 1e-6) -> tuple[np.ndarray, bool]:
    """Nearest-by-eigenvalue positive definite version of a covariance matrix.

    Eigenvalues of the correlation matrix below ``floor`` are set to ``floor``, the matrix
    is rescaled to a unit diagonal and back to the item variances. Returns the matrix and
    whether it was changed.
    """
    cov = np.asarray(cov, dtype=float)
    sd = np.sqrt(np.diag(cov))
    if not (sd > 0).all():
        raise ValueError("an item has zero variance")
    corr = cov / np.outer(sd, sd)
    values, vectors = np.linalg.eigh(corr)
    if values.min() >= floor:
        return cov, False
    fixed = (vectors * np.clip(values, floor, None)) @ vectors.T
    d = np.sqrt(np.diag(fixed))
    fixed = fixed / np.outer(d, d)
    return fixed * np.outer(sd, sd), True


def one_factor(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood one-factor model of a covariance matrix.

    Returns the loadings and unique variances minimising
    ``log|S| + tr(S^-1 C) - log|C| - p`` with ``S = l l' + diag(psi)`` (the constant
    ``log|C|`` is left out, so a singular but positive semi-definite ``C`` is allowed).
    """
    p = cov.shape[0]
    sd = np.sqrt(np.diag(cov))
    if not (sd > 0).all():
        raise ValueError("an item has zero variance")
    corr = cov / np.outer(sd, sd)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        lam, psi = theta[:p], np.exp(theta[p:])
        sigma = np.outer(lam, lam) + np.diag(psi)
        sign, logdet = np.linalg.slogdet(sigma)
        if sign <= 0:
            return 1e10, np.zeros_like(theta)
        inv = np.linalg.inv(sigma)
        inv_s = inv @ corr
        grad_sigma = inv - inv_s @ inv  # dF / dSigma
        grad = np.concatenate([2 * grad_sigma @ lam, np.diag(grad_sigma) * psi])
        return float(logdet + np.trace(inv_s) - p), grad

    eigval, eigvec = np.linalg.eigh(corr)
    start_l = eigvec[:, -1] * np.sqrt(max(eigval[-1], 1e-6))
    start_l *= np.sign(start_l.sum()) or 1.0
    start = np.concatenate([start_l, np.log(np.clip(1 - start_l**2, 0.05, None))])
    res = optimize.minimize(objective, start, jac=True, method="BFGS")
    lam, psi = res.x[:p], np.exp(res.x[p:])
    return lam * sd, psi * sd**2


def omega_from_covariance(cov: np.ndarray) -> float:
    """McDonald's omega total ``(sum l)^2 / ((sum l)^2 + sum psi)`` of a one-factor ML model.

    Needs at least three items (with two, the one-factor model is not identified) and a
    positive semi-definite matrix (see :func:`smooth_covariance`).
    """
    cov = np.asarray(cov, dtype=float)
    if cov.shape[0] < 3:
        raise ValueError("omega needs at least three items")
    lam, psi = one_factor(cov)
    num = lam.sum() ** 2
    return float(num / (num + psi.sum()))


def mcdonald_omega(items: pd.DataFrame, missing: str = "pairwise") -> float:
    """McDonald's omega total from a one-factor ML model of the item covariance matrix.

    The pairwise matrix is smoothed first when it is not positive definite
    (:func:`smooth_covariance`).
    """
    cov, _ = smooth_covariance(item_covariance(items, missing))
    return omega_from_covariance(cov)


def reliability(items: pd.DataFrame, missing: str = "pairwise") -> dict[str, object]:
    """Alpha and omega with the n they rest on; never raises for unsuitable data.

    Parameters
    ----------
    items : DataFrame
        One column per (reverse-keyed) item, one row per respondent.
    missing : {"pairwise", "listwise"}
        How missing responses are handled (see the module docstring).

    Returns
    -------
    dict
        ``n_items``; ``n_respondents`` (rows with at least one answer); ``n_complete``
        (rows answering every item); ``n_pairwise_min`` (fewest rows behind one
        covariance); ``alpha`` and ``omega`` (NaN when not estimable; omega also for
        fewer than three items); ``note``: empty, or why a number is missing, or that the
        pairwise matrix was smoothed for omega.

    Examples
    --------
    >>> import pandas as pd
    >>> out = reliability(pd.DataFrame({"a": [1, 2, None], "b": [1, 3, 2]}))
    >>> out["note"]
    'not estimable: fewer than 3 respondents answered every pair of items'
    """
    _check_missing(missing)
    data = items.astype(float)
    answered = data.notna()
    pair_n = pairwise_n(data) if data.shape[1] else np.zeros((0, 0))
    out: dict[str, object] = {
        "n_items": int(data.shape[1]),
        "n_respondents": int(answered.any(axis=1).sum()),
        "n_complete": int(answered.all(axis=1).sum()) if data.shape[1] else 0,
        "n_pairwise_min": int(pair_n.min()) if pair_n.size else 0,
        "alpha": float("nan"), "omega": float("nan"), "note": ""}
    n_used = out["n_pairwise_min"] if missing == "pairwise" else out["n_complete"]
    if data.shape[1] < 2:
        out["note"] = "not estimable: fewer than two items"
        return out
    if n_used < MIN_RESPONSES:
        who = ("answered every pair of items" if missing == "pairwise"
               else "answered every item")
        out["note"] = f"not estimable: fewer than {MIN_RESPONSES} respondents {who}"
        return out
    cov = item_covariance(data, missing)
    if not (np.diag(cov) > 0).all():
        out["note"] = "not estimable: an item has no variance"
        return out
    try:
        alpha_from_covariance(cov)
    except ValueError as exc:
        out["note"] = f"not estimable: {exc}"
        return out
    cov, changed = smooth_covariance(cov)
    out["alpha"] = alpha_from_covariance(cov)
    if data.shape[1] >= 3:
        out["omega"] = omega_from_covariance(cov)
    if changed:
        out["note"] = "smoothed: the pairwise covariance matrix was not positive definite"
    return out
