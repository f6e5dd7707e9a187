"""Small-sample inference for linear contrasts of the fixed effects: Satterthwaite's and
Kenward-Roger's denominator degrees of freedom.

For a contrast row ``l`` (so that ``l beta`` is the quantity of interest) the test statistic
is ``t = l beta / se`` with a *t* reference distribution:

- **Satterthwaite** (lmerTest 3.1's ``contest1D``): ``se^2 = l Phi l'`` (``Phi = vcov(beta)``)
  and ``df = 2 (l Phi l')^2 / (g' A g)``, where ``g_j = l (d Phi / d phi_j) l'`` is the
  gradient of the contrast's variance in the variance parameters ``phi = (theta, sigma)``
  (lme4's relative SDs and the residual SD; lmerTest's parameterisation) and ``A = 2
  H^-1`` with ``H`` the Hessian of the deviance -- the REML criterion of a REML fit, the ML
  deviance of an ML fit -- in ``phi`` at the estimates; ``H^-1`` is the eigen-decomposition
  inverse over eigenvalues above ``1e-8``, as lmerTest's. lmerTest takes ``g`` and ``H``
  by numerical differentiation (numDeriv); here they are analytic (see
  :mod:`mcbi.stats.lmm.varstruct`): the Hessian in ``phi`` is the chain rule from the
  Hessian and gradient in the variances ``psi`` (``psi_k = sigma^2 theta_k^2``,
  ``psi_residual = sigma^2``), the gradient term included, so that a variance on the
  boundary (``theta_k = 0``) drops out as it does in lmerTest.
- **Kenward-Roger** (pbkrtest 0.5's ``vcovAdj`` and ``Lb_ddf``; REML fits only): ``se^2 =
  l Phi_A l'`` with the adjusted covariance ``Phi_A = Phi + 2 Phi U Phi``, ``U = sum_ml
  W_ml (Q_ml - P_m Phi P_l)``, ``W = 2 IE2^-1`` (``IE2[m, l] = tr(R G_m R G_l)``, twice
  the expected REML information in the variances ``psi``; a generalised inverse when
  ``IE2`` is near singular, as pbkrtest), and pbkrtest's denominator df (for one row,
  ``df = 2 / A2``); every variance component counts, also one estimated at 0.
- **z** (the Wald test of :func:`mcbi.stats.wald.wald`): ``se^2 = l Phi l'``, normal
  reference (``df = inf``).

:func:`contrast_test` gives the tidy table; :func:`satterthwaite_df`,
:func:`kenward_roger` and :func:`kr_ddf` the pieces.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mcbi.stats.lmm.result import LMMResult
from mcbi.stats.lmm.varstruct import Pieces, VarianceStructure
from mcbi.stats.wald import check_alpha, wald, wald_t

__all__ = ["DDF_METHODS", "contrast_matrix", "contrast_test", "kenward_roger", "kr_ddf",
           "satterthwaite_df", "variance_parameters"]

#: Accepted ``ddf`` values and the ``method`` label each gives.
DDF_METHODS = {"z": "z", "satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger"}
#: Eigenvalues of the deviance Hessian at or below this are dropped (lmerTest's ``tol``).
HESSIAN_TOL = 1e-8
#: pbkrtest inverts ``IE2`` only if its smallest absolute eigenvalue exceeds this.
IE2_TOL = 1e-10


def contrast_matrix(result: LMMResult, L: Any) -> np.ndarray:
    """``L`` as a 2-D float array of rows over the fixed effects of ``result``.

    ``L`` may be a vector (one contrast), a matrix (one contrast per row) or a DataFrame /
    Series whose columns / index are term names (missing terms count 0).

    Raises
    ------
    ValueError
        Wrong number of columns, unknown term names, or non-finite entries.
    """
    terms = list(result.fixed["term"])
    if isinstance(L, pd.Series):
        L = L.to_frame().T
    if isinstance(L, pd.DataFrame):
        unknown = [c for c in L.columns if c not in terms]
        if unknown:
            raise ValueError(f"contrast columns not among the fixed effects {terms!r}: "
                             f"{unknown!r}")
        L = L.reindex(columns=terms, fill_value=0.0).to_numpy(dtype=float)
    try:
        L = np.atleast_2d(np.asarray(L, dtype=float))
    except (TypeError, ValueError) as err:
        raise ValueError(f"the contrast must be numeric: {err}") from err
    if L.ndim != 2 or L.shape[1] != len(terms):
        raise ValueError(f"the contrast needs {len(terms)} columns (one per fixed effect "
                         f"{terms!r}), got shape {L.shape}")
    if not np.isfinite(L).all():
        raise ValueError("the contrast has non-finite entries")
    return L


def _structure(result: LMMResult) -> tuple[VarianceStructure, np.ndarray]:
    """The covariance structure of ``result`` and its variances ``psi``."""
    if result.frame is None:
        raise ValueError("the fit carries no model frame (made by fit_lmm?); "
                         "small-sample degrees of freedom need it")
    vs = VarianceStructure(result.frame)
    psi = result.variance_components.set_index("component")["variance"]
    return vs, psi.loc[list(vs.names)].to_numpy(dtype=float)


def variance_parameters(result: LMMResult) -> tuple[np.ndarray, float]:
    """lmerTest's variance parameters of ``result``: ``theta`` (relative SDs) and sigma."""
    vc = result.variance_components.set_index("component")
    sigma = float(np.sqrt(vc.loc["residual", "variance"]))
    names = [c for c in vc.index if c != "residual"]
    theta = np.sqrt(vc.loc[names, "variance"].to_numpy(dtype=float)) / sigma
    return theta, sigma


def _hessian_phi(pc: Pieces, psi: np.ndarray, reml: bool) -> tuple[np.ndarray, np.ndarray]:
    """Hessian of the deviance in ``phi = (theta, sigma)`` and the Jacobian ``d psi/d phi``."""
    k = len(psi)
    sigma2 = psi[-1]
    sigma = np.sqrt(sigma2)
    theta = np.sqrt(psi[:-1] / sigma2)
    J = np.zeros((k, k))
    J[np.arange(k - 1), np.arange(k - 1)] = 2.0 * sigma2 * theta
    J[:-1, -1] = 2.0 * sigma * theta**2
    J[-1, -1] = 2.0 * sigma
    grad = pc.gradient(reml)
    H = J.T @ pc.hessian(reml) @ J
    for j in range(k - 1):  # second derivatives of psi_j = sigma^2 theta_j^2
        H[j, j] += grad[j] * 2.0 * sigma2
        H[j, -1] += grad[j] * 4.0 * sigma * theta[j]
        H[-1, j] += grad[j] * 4.0 * sigma * theta[j]
        H[-1, -1] += grad[j] * 2.0 * theta[j] ** 2
    H[-1, -1] += grad[-1] * 2.0
    return (H + H.T) / 2.0, J


def _pinv_eigen(H: np.ndarray, tol: float = HESSIAN_TOL) -> np.ndarray:
    """Inverse of symmetric ``H`` over its eigenvalues above ``tol`` (lmerTest's)."""
    values, vectors = np.linalg.eigh(H)
    pos = values > tol
    return (vectors[:, pos] / values[pos]) @ vectors[:, pos].T


def satterthwaite_df(result: LMMResult, L: Any) -> pd.DataFrame:
    """Satterthwaite's denominator df of each row of ``L`` (lmerTest's method).

    Parameters
    ----------
    result : LMMResult
        An ML or REML fit (the Hessian is that of the fit's own criterion).
    L : array_like or pandas.DataFrame
        Contrast rows (see :func:`contrast_matrix`).

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, df`` (one row per contrast).
    """
    L = contrast_matrix(result, L)
    vs, psi = _structure(result)
    pc = vs.pieces(psi)
    H, J = _hessian_phi(pc, psi, result.reml)
    A = 2.0 * _pinv_eigen(H)
    phi = pc.phi
    dphi = -np.einsum("ab,mbc,cd->mad", phi, pc.P, phi)  # d Phi / d psi_m
    jac = np.einsum("mab,mj->jab", dphi, J)  # d Phi / d phi_j
    var = np.einsum("ia,ab,ib->i", L, phi, L)
    g = np.einsum("ia,jab,ib->ij", L, jac, L)
    denom = np.einsum("ij,jk,ik->i", g, A, g)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = 2.0 * var**2 / denom
    beta = result.fixed["estimate"].to_numpy()
    return pd.DataFrame({"estimate": L @ beta, "se": np.sqrt(var), "df": df})


def kenward_roger(result: LMMResult) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kenward-Roger's adjusted covariance of the fixed effects (pbkrtest's ``vcovAdj``).

    Parameters
    ----------
    result : LMMResult
        A REML fit.

    Returns
    -------
    phi_a : numpy.ndarray
        The adjusted covariance ``Phi_A`` (``p x p``).
    P : numpy.ndarray
        ``P_m = -X' V^-1 G_m V^-1 X`` per variance component (``k x p x p``).
    W : numpy.ndarray
        ``2 IE2^-1``, the asymptotic covariance of the variances (``k x k``).

    Raises
    ------
    ValueError
        ``result`` is not a REML fit.
    """
    if not result.reml:
        raise ValueError("Kenward-Roger's method needs a REML fit (fit_lmm(..., reml=True))")
    vs, psi = _structure(result)
    pc = vs.pieces(psi)
    ie2 = pc.info2
    ie2 = (ie2 + ie2.T) / 2.0
    if np.min(np.abs(np.linalg.eigvalsh(ie2))) > IE2_TOL:
        W = 2.0 * np.linalg.inv(ie2)
    else:  # MASS::ginv's tolerance
        W = 2.0 * np.linalg.pinv(ie2, rcond=np.sqrt(np.finfo(float).eps))
    W = (W + W.T) / 2.0
    phi, P = pc.phi, pc.P
    PphiP = np.einsum("mab,bc,lcd->mlad", P, phi, P)
    U = np.einsum("ml,mlab->ab", W, pc.Q - PphiP)
    phi_a = phi + 2.0 * phi @ U @ phi
    return (phi_a + phi_a.T) / 2.0, P, W


def kr_ddf(L: np.ndarray, phi: np.ndarray, P: np.ndarray, W: np.ndarray) -> tuple[float, float]:
    """pbkrtest's denominator df and F scaling factor for the hypothesis ``L beta = 0``.

    Parameters
    ----------
    L : numpy.ndarray
        ``q x p`` contrast matrix of full row rank.
    phi : numpy.ndarray
        Unadjusted covariance of beta.
    P, W : numpy.ndarray
        As returned by :func:`kenward_roger`.

    Returns
    -------
    df : float
        Denominator degrees of freedom (``Lb_ddf``; ``2 / A2`` for one row; ``inf`` when
        ``A2 = 0``, where pbkrtest would divide by 0). A division by 0 further on gives what
        R's arithmetic gives (``V2 = 0``: ``rho = Inf``, df 4; ``0 / 0``: NaN), not an error.
    scaling : float
        The F statistic's scaling factor (pbkrtest's ``F.scaling``; 1 if ``|df - 2| <
        0.01``).
    """
    L = np.atleast_2d(L)
    q = L.shape[0]
    Theta = L.T @ np.linalg.solve(L @ phi @ L.T, L)
    u = np.einsum("ab,bc,mcd,de->mae", Theta, phi, P, phi)
    tr = np.einsum("maa->m", u)
    A1 = float(tr @ W @ tr)
    A2 = float(np.einsum("ml,mab,lba->", W, u, u))
    if not A2 > 0.0:  # the contrast's variance does not depend on the variances: df -> inf
        return float("inf"), 1.0
    B = (A1 + 6.0 * A2) / (2.0 * q)
    g = ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
    den = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / den, (q - g) / den, (q + 2 - g) / den
    V0 = 1.0 + c1 * B
    V1 = 1.0 - c2 * B
    V2 = 1.0 - c3 * B
    V0 = 0.0 if abs(V0) < 1e-10 else V0
    x = 1.0 - A2 / q
    with np.errstate(divide="ignore", invalid="ignore"):  # R's arithmetic: x / 0 is Inf or NaN
        V1, V2 = np.float64(V1), np.float64(V2)
        ratio = 1.0 if abs(x) < 1e-14 and abs(V1) < 1e-14 else x / V1  # pbkrtest's .divZero
        rho = ratio**2 * V0 / V2 / q
        df = 4.0 + (q + 2) / (q * rho - 1.0)
        scaling = 1.0 if abs(df - 2.0) < 0.01 else df * (1.0 - A2 / q) / (df - 2.0)
    return float(df), float(scaling)


def contrast_test(result: LMMResult, L: Any, ddf: str = "z", alpha: float = 0.05,
                  rhs: Any = 0.0) -> pd.DataFrame:
    """*t* (or *z*) test and confidence interval of each linear contrast ``L beta``.

    Parameters
    ----------
    result : LMMResult
    L : array_like or pandas.DataFrame
        One contrast (vector) or one per row (see :func:`contrast_matrix`).
    ddf : {"z", "satterthwaite", "kenward-roger"}, default "z"
        Reference distribution: normal, or *t* with Satterthwaite's or Kenward-Roger's
        denominator df (the latter with KR's adjusted SE; REML fits only).
    alpha : float, default 0.05
        The intervals have level ``1 - alpha``.
    rhs : float or array_like, default 0
        Value(s) of ``L beta`` under the null hypothesis (the statistic is ``(estimate -
        rhs) / se``; the interval is for ``L beta`` itself).

    Returns
    -------
    pandas.DataFrame
        Columns ``estimate, se, statistic, df, pvalue, ci_lower, ci_upper, method``, one row
        per contrast (``df`` is ``inf`` for ``"z"``).

    Raises
    ------
    ValueError
        Unknown ``ddf``, ``alpha`` outside (0, 1), a malformed contrast, or Kenward-Roger
        on an ML fit.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mcbi.stats.lmm import fit_lmm
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"id": np.repeat(np.arange(20), 3),
    ...                    "arm": np.repeat(["ctl", "trt"], 30), "wave": np.tile([0, 1, 2], 20)})
    >>> df["y"] = np.repeat(rng.normal(size=20), 3) + rng.normal(size=60)
    >>> fit = fit_lmm(df, "y", "arm", "wave", "id", reml=True)
    >>> tab = contrast_test(fit, [0, 0, 0, 0, 1, 0], ddf="kenward-roger")
    >>> list(tab.columns)
    ['estimate', 'se', 'statistic', 'df', 'pvalue', 'ci_lower', 'ci_upper', 'method']
    """
    alpha = check_alpha(alpha)
    key = ddf.lower() if isinstance(ddf, str) else ddf
    if key not in DDF_METHODS:
        raise ValueError(f"ddf must be one of {list(DDF_METHODS)}, got {ddf!r}")
    L = contrast_matrix(result, L)
    rhs = np.broadcast_to(np.asarray(rhs, dtype=float), (L.shape[0],))
    beta = result.fixed["estimate"].to_numpy()
    est = L @ beta
    if key == "z":
        se = np.sqrt(np.einsum("ia,ab,ib->i", L, result.cov_fixed.to_numpy(), L))
        df = np.full(len(est), np.inf)
        tab = wald(est - rhs, se, alpha)
    else:
        if key == "satterthwaite":
            sat = satterthwaite_df(result, L)
            se, df = sat["se"].to_numpy(), sat["df"].to_numpy()
        else:
            phi_a, P, W = kenward_roger(result)
            phi = result.cov_fixed.to_numpy()
            with np.errstate(invalid="ignore"):  # a negative adjusted variance: SE NaN
                se = np.sqrt(np.einsum("ia,ab,ib->i", L, phi_a, L))
            df = np.array([kr_ddf(row, phi, P, W)[0] for row in L])
        tab = wald_t(est - rhs, se, df, alpha)
    tab["estimate"] = est
    tab["ci_lower"] = tab["ci_lower"] + rhs
    tab["ci_upper"] = tab["ci_upper"] + rhs
    tab.insert(3, "df", df)
    tab["method"] = DDF_METHODS[key]
    return tab
