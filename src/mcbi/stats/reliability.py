"""Internal consistency: Cronbach's alpha and McDonald's omega (one-factor model).

General tools: they take a DataFrame of item columns (already reverse-keyed) and return
numbers or a tidy table. Rows with any missing item are left out (listwise).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize


def _complete(items: pd.DataFrame) -> np.ndarray:
    x = items.dropna().to_numpy(dtype=float)
    if x.shape[1] < 2:
        raise ValueError("reliability needs at least two items")
    if x.shape[0] < 3:
        raise ValueError("reliability needs at least three complete rows")
    return x


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's alpha of the item columns (complete rows).

    ``alpha = k / (k - 1) * (1 - sum(item variances) / variance(total))``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]})
    >>> round(cronbach_alpha(df), 6)
    1.0
    """
    x = _complete(items)
    k = x.shape[1]
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var <= 0:
        raise ValueError("the total score has zero variance")
    return float(k / (k - 1) * (1 - item_var / total_var))


def one_factor(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood one-factor model of a covariance matrix.

    Returns the loadings and unique variances minimising
    ``log|S| + tr(S^-1 C) - log|C| - p`` with ``S = l l' + diag(psi)``.
    """
    p = cov.shape[0]
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    _, logdet_c = np.linalg.slogdet(corr)

    def objective(theta: np.ndarray) -> float:
        lam, psi = theta[:p], np.exp(theta[p:])
        sigma = np.outer(lam, lam) + np.diag(psi)
        sign, logdet = np.linalg.slogdet(sigma)
        if sign <= 0:
            return 1e10
        return float(logdet + np.trace(np.linalg.solve(sigma, corr)) - logdet_c - p)

    eigval, eigvec = np.linalg.eigh(corr)
    start_l = eigvec[:, -1] * np.sqrt(eigval[-1])
    start_l *= np.sign(start_l.sum()) or 1.0
    start = np.concatenate([start_l, np.log(np.clip(1 - start_l**2, 0.05, None))])
    res = optimize.minimize(objective, start, method="L-BFGS-B")
    lam, psi = res.x[:p], np.exp(res.x[p:])
    return lam * sd, psi * sd**2


def mcdonald_omega(items: pd.DataFrame) -> float:
    """McDonald's omega total from a one-factor ML model (complete rows).

    ``omega = (sum l)^2 / ((sum l)^2 + sum psi)``.
    """
    x = _complete(items)
    lam, psi = one_factor(np.cov(x, rowvar=False))
    num = lam.sum() ** 2
    return float(num / (num + psi.sum()))
