"""The result of a two-level SEM fit: :class:`MSEMResult` and :class:`MSEMWarning`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .defined import DefinedParameters
from .estimate import Optimum
from .partable import Roles
from .summary import format_summary

__all__ = ["MSEMResult", "MSEMWarning"]


class MSEMWarning(RuntimeWarning):
    """Non-convergence, Heywood case, near-zero variance or non-positive-definite matrix."""


@dataclass(repr=False)
class MSEMResult:
    """A fitted two-level SEM.

    Attributes
    ----------
    estimates : pandas.DataFrame
        One row per parameter (incl. ``:=`` rows): ``lhs, op, rhs, level, label, free, est,
        se, z, pvalue, ci_lower, ci_upper``; ``level`` is 1 (within), 2 (between) or NA for
        defined parameters; ``free`` is the parameter's index in ``theta`` (0 = fixed).
    fit_measures : dict
        ``logl, npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, srmr_within,
        srmr_between, aic, bic, ntotal, nclusters`` and baseline/unrestricted values.
    icc : pandas.Series
        Intraclass correlation of each level-1 variable (saturated model).
    converged, iterations, max_gradient : bool, int, float
        Convergence information (max |∂ log L / ∂θ| at the solution).
    warnings : list of str
        Problems found (non-convergence, Heywood cases, near-zero between variances,
        non-positive-definite matrices); also issued as :class:`MSEMWarning`.
    theta, vcov : ndarray
        Free parameters and their covariance (inverse observed information).
    partable : pandas.DataFrame
        The full parameter table (lavaan's layout: ``lhs, op, rhs, level, label, free,
        ustart, start, est, se``).
    admissible : bool
        No negative variance, positive-definite within and positive semi-definite between
        implied covariance matrices; ``inadmissible`` lists the reasons otherwise.
    at_bound : pandas.Series
        Boolean, aligned with ``estimates``: the parameter ended on its bound (only with
        ``bounds="pos.var"``: a variance on its lower bound, or a covariance at
        correlation ±1); its ``se``, ``statistic``, ``pvalue`` and interval are NaN.
    starts : pandas.DataFrame
        One row per optimisation run: ``start, converged, admissible, logl,
        max_abs_diff`` (largest parameter difference from the kept solution), ``message``.
    bounds : str or None
        The ``bounds`` argument of the fit; ``lower`` the lower bound of each free
        parameter (``-inf`` where unbounded).
    level : float
        Confidence level of the Wald intervals.
    """

    estimates: pd.DataFrame
    fit_measures: dict
    icc: pd.Series
    converged: bool
    iterations: int
    max_gradient: float
    warnings: list[str]
    theta: np.ndarray
    vcov: np.ndarray
    roles: Roles
    partable: pd.DataFrame = field(repr=False)
    defined: DefinedParameters = field(repr=False)
    optimum: Optimum = field(repr=False)
    admissible: bool = True
    inadmissible: list[str] = field(default_factory=list)
    at_bound: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool), repr=False)
    starts: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    bounds: str | None = None
    level: float = 0.95
    lower: np.ndarray | None = field(default=None, repr=False)

    @property
    def optima_spread(self) -> float:
        """Range of the log-likelihood over the converged runs (0 with one start)."""
        ok = self.starts[self.starts["converged"]] if len(self.starts) else self.starts
        return float(ok["logl"].max() - ok["logl"].min()) if len(ok) else float("nan")

    def monte_carlo_ci(self, n_draws: int = 20000, seed: int | None = None,
                       level: float = 0.95) -> pd.DataFrame:
        """Monte Carlo intervals for the defined (``:=``) parameters.

        Draws θ* ~ N(θ̂, V̂) ``n_draws`` times, evaluates each defined parameter and
        returns the percentile interval (Preacher & Selig, 2012). With bounds, parameters
        on their bound are held there (their rows of V̂ are zero) and draws of the other
        bounded parameters that fall below their bound are clipped to it; ``n_clipped``
        counts the draws with at least one clipped parameter.

        Parameters
        ----------
        n_draws : int
            Number of draws.
        seed : int or None
            Seed of :func:`numpy.random.default_rng`.
        level : float
            Coverage of the interval.

        Returns
        -------
        pandas.DataFrame
            Columns ``name, expression, estimate, mc_se, ci_lower, ci_upper, n_draws,
            n_clipped``.
        """
        if len(self.defined) == 0:
            raise ValueError("the model has no defined (:=) parameters")
        if n_draws < 100:
            raise ValueError("n_draws must be at least 100")
        if not 0 < level < 1:
            raise ValueError("level must be between 0 and 1")
        if not np.all(np.isfinite(self.vcov)):
            raise ValueError("standard errors are unavailable; cannot draw parameters")
        return self.defined.monte_carlo(self.theta, self.vcov, n_draws, seed, level,
                                        lower=self.lower)

    def summary(self) -> str:
        """A readable, lavaan-like text summary (also shows every warning)."""
        return format_summary(self)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        fm = self.fit_measures
        status = "converged" if self.converged else "NOT converged"
        return (f"<MSEMResult {status}: logl={fm['logl']:.3f}, npar={fm['npar']}, "
                f"ntotal={fm['ntotal']}, nclusters={fm['nclusters']}, "
                f"{len(self.warnings)} warning(s)>")
