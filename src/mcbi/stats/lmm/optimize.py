"""Minimising the profiled deviance over theta (lme4's ``optimizeLmer`` and ``checkConv``).

The strategy depends on the model:

- nested random intercepts (:class:`~mcbi.stats.lmm.deviance.NestedDeviance`, cheap
  evaluations): Nelder-Mead with tight tolerances from every start of a grid
  (0.3, 1, 3 per theta), keeping the best; the deviance is even in theta, so no bounds;
- with the cluster x time intercept (:class:`~mcbi.stats.lmm.deviance.CrossedDeviance`,
  dearer evaluations): L-BFGS-B with bounds ``theta >= 0`` (as lme4's bobyqa) from five
  starts (seven with one variance per wave: two more let the per-wave values rise or fall
  over the waves), then Nelder-Mead with tight tolerances from the best of them.

Both end with the boundary check: each theta (smallest first) is set to exactly 0 if that
does not raise the deviance by more than 1e-9, like lme4's singular fits. The run is
recorded in an :class:`OptSummary`, after MixedModels.jl's ``OptSummary``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from mcbi.stats.lmm.deviance import CrossedDeviance, NestedDeviance

__all__ = ["OptSummary", "optimize_theta"]

#: Nelder-Mead options (scipy names) of the grid runs and of the final polish.
NELDER_MEAD = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000}
#: L-BFGS-B options (scipy 1.17's defaults, spelled out) of the cluster x time starts.
LBFGSB = {"ftol": 2.220446049250313e-09, "gtol": 1e-05, "maxiter": 15000, "maxfun": 15000}
#: Deviance increase allowed when a theta is set to exactly 0.
BOUNDARY_TOL = 1e-9
_GRID = (0.3, 1.0, 3.0)
_CROSSED_STARTS = ((1.0, 1.0, 1.0), (0.3, 0.3, 0.3), (3.0, 3.0, 3.0), (0.3, 1.0, 3.0),
                   (3.0, 1.0, 0.3))


@dataclass(frozen=True)
class OptSummary:
    """Record of the optimisation of theta (stored as ``LMMResult.optsummary``).

    Attributes
    ----------
    optimizer : str
        ``"Nelder-Mead"`` (nested model) or ``"L-BFGS-B + Nelder-Mead"`` (cluster x time).
    theta_names : tuple of str
        Random-effect component of each theta value.
    starts : tuple of tuple of float
        All starting values of the multi-start search.
    initial : tuple of float
        The start of the search the final value came from; ``finitial`` its deviance.
    final : tuple of float
        Optimal theta (non-negative, after the boundary check); ``fmin`` its deviance.
    feval : int
        Deviance evaluations over all runs and the boundary check.
    boundary : tuple of int
        Indices of the theta values that are exactly 0 at the optimum (a singular fit).
    converged : bool
        Whether the run that gave the optimum reported success (with the cluster x time
        intercept: the Nelder-Mead polish, with a finite deviance).
    message : str
        That run's message from scipy.
    tolerances : dict
        Options in force: ``nelder_mead`` and, for cluster x time, ``lbfgsb`` (dicts of
        scipy options), ``boundary`` (float).
    """

    optimizer: str
    theta_names: tuple[str, ...]
    starts: tuple[tuple[float, ...], ...]
    initial: tuple[float, ...]
    finitial: float
    final: tuple[float, ...]
    fmin: float
    feval: int
    boundary: tuple[int, ...]
    converged: bool
    message: str
    tolerances: dict[str, Any] = field(default_factory=dict)


class _Counted:
    """The deviance, counting evaluations."""

    def __init__(self, devfun: NestedDeviance):
        self.devfun, self.n = devfun, 0

    def __call__(self, theta: np.ndarray) -> float:
        self.n += 1
        return self.devfun.deviance(theta)


def optimize_theta(devfun: NestedDeviance,
                   theta_names: tuple[str, ...] | None = None) -> OptSummary:
    """Minimise ``devfun`` over theta with the strategy of the module docstring.

    Parameters
    ----------
    devfun : NestedDeviance or CrossedDeviance
        The profiled deviance (see :func:`~mcbi.stats.lmm.deviance.make_deviance`).
    theta_names : tuple of str, optional
        Names recorded in the summary (default ``theta[0]``, ``theta[1]``, ...).

    Returns
    -------
    OptSummary
        The optimum is ``np.array(summary.final)``.

    Raises
    ------
    ValueError
        ``theta_names`` of the wrong length.
    """
    if theta_names is None:
        theta_names = tuple(f"theta[{j}]" for j in range(devfun.k))
    if len(theta_names) != devfun.k:
        raise ValueError(f"{devfun.k} theta values but {len(theta_names)} theta_names")
    fun = _Counted(devfun)
    if isinstance(devfun, CrossedDeviance):
        name = "L-BFGS-B + Nelder-Mead"
        tolerances: dict[str, Any] = {"lbfgsb": dict(LBFGSB)}
        starts, initial, theta, dev, ok, message = _crossed(fun, devfun)
    else:
        name = "Nelder-Mead"
        tolerances = {}
        starts, initial, theta, dev, ok, message = _nested(fun, devfun.k)
    tolerances.update(nelder_mead=dict(NELDER_MEAD), boundary=BOUNDARY_TOL)
    theta, dev = _to_boundary(fun, theta, dev)
    return OptSummary(
        optimizer=name, theta_names=tuple(theta_names),
        starts=tuple(tuple(float(v) for v in s) for s in starts),
        initial=tuple(float(v) for v in initial), finitial=float(devfun.deviance(initial)),
        final=tuple(float(v) for v in theta), fmin=float(dev), feval=fun.n,
        boundary=tuple(int(j) for j in np.flatnonzero(theta == 0.0)),
        converged=bool(ok), message=message, tolerances=tolerances,
    )


def _nested(fun: _Counted, k: int) -> tuple:
    """Nelder-Mead from every start of the grid; the best run."""
    grid = np.array(np.meshgrid(*[_GRID] * k)).reshape(k, -1).T
    best_theta, best_dev, ok, message = np.ones(k), np.inf, False, "no finite deviance"
    initial = grid[0]
    for start in grid:
        res = minimize(fun, start, method="Nelder-Mead", options=NELDER_MEAD)
        if res.fun < best_dev:
            best_theta, best_dev, ok = np.abs(res.x), float(res.fun), bool(res.success)
            initial, message = start, str(res.message)
    return grid, initial, best_theta, best_dev, ok, message


def _crossed(fun: _Counted, devfun: CrossedDeviance) -> tuple:
    """L-BFGS-B from each start, then Nelder-Mead from the best."""
    k = devfun.k
    if devfun.by_time:
        n_t = k - 2
        starts = [s[:2] + (s[2],) * n_t for s in _CROSSED_STARTS]
        ramp = tuple(np.geomspace(0.3, 3.0, n_t))
        starts += [(1.0, 1.0) + ramp, (1.0, 1.0) + ramp[::-1]]
    else:
        starts = list(_CROSSED_STARTS)
    best_theta, best_dev = np.ones(k), np.inf
    initial = best_theta
    for start in starts:
        # A far line-search step can give an infinite deviance (lost positive
        # definiteness); the finite-difference gradient is then NaN and the run is
        # discarded or recovers, so its floating-point warnings are silenced.
        with np.errstate(invalid="ignore", over="ignore"):
            res = minimize(fun, np.array(start), method="L-BFGS-B",
                           bounds=[(0.0, None)] * k, options=LBFGSB)
        if np.isfinite(res.fun) and res.fun < best_dev:
            best_theta, best_dev, initial = np.abs(res.x), float(res.fun), np.array(start)
    res = minimize(fun, best_theta, method="Nelder-Mead", options=NELDER_MEAD)
    ok = bool(res.success) and np.isfinite(res.fun)
    if res.fun < best_dev:
        best_theta, best_dev = np.abs(res.x), float(res.fun)
    return starts, initial, best_theta, best_dev, ok, str(res.message)


def _to_boundary(fun: _Counted, theta: np.ndarray, dev: float) -> tuple[np.ndarray, float]:
    """Set to exactly 0 each theta (smallest first) whose removal does not raise the
    deviance beyond ``BOUNDARY_TOL``; the new theta and its deviance."""
    for j in np.argsort(theta):
        trial = theta.copy()
        trial[j] = 0.0
        trial_dev = fun(trial)
        if trial_dev <= dev + BOUNDARY_TOL:
            theta, dev = trial, trial_dev
    return theta, dev
