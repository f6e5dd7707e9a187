"""Minimising the profiled deviance over theta (lme4's ``optimizeLmer`` and ``checkConv``).

The strategy depends on the model:

- nested random intercepts (:class:`~mcbi.stats.lmm.deviance.NestedDeviance`, cheap
  evaluations): Nelder-Mead with tight tolerances from every start of a grid
  (0.3, 1, 3 per theta), keeping the best; the deviance is even in theta, so no bounds;
- with the cluster x time intercept (:class:`~mcbi.stats.lmm.deviance.CrossedDeviance`,
  dearer evaluations): L-BFGS-B with bounds ``theta >= 0`` (as lme4's bobyqa) and the
  analytic gradient (:meth:`~mcbi.stats.lmm.deviance.CrossedDeviance.deviance_and_gradient`)
  from five starts (seven with one variance per wave: two more let the per-wave values rise
  or fall over the waves), then a polish from the best of them: L-BFGS-B again with tight
  tolerances (:data:`POLISH`). A polish whose line search stops without a lower deviance
  (scipy's "ABNORMAL" message, at the rounding floor of the optimum) counts as converged if
  the projected gradient is within the starts' ``gtol`` (1e-5). Nelder-Mead with tight
  tolerances follows only if the polish does not converge or leaves a theta at 0 while the
  deviance still falls as that variance rises (the gradient in theta vanishes at 0, so
  L-BFGS-B cannot see it).
  The fit counts as not converged if the deviance is lower still at ten times the optimum
  (:data:`GROW`): the residual variance then goes to 0 and the likelihood has no finite
  maximum, only a flat ridge on which a stopping rule would be met anywhere.

Both end with the boundary check: each theta (smallest first) is set to exactly 0 if that
does not raise the deviance by more than 1e-9, like lme4's singular fits. The run is
recorded in an :class:`OptSummary`, after MixedModels.jl's ``OptSummary``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize

from mcbi.stats.blas import single_thread_blas
from mcbi.stats.lmm.deviance import CrossedDeviance, NestedDeviance

__all__ = ["OptSummary", "optimize_theta"]

#: Nelder-Mead options (scipy names) of the grid runs and of the final polish.
NELDER_MEAD = {"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000, "maxfev": 40000}
#: L-BFGS-B options (scipy 1.17's defaults, spelled out) of the cluster x time starts.
LBFGSB = {"ftol": 2.220446049250313e-09, "gtol": 1e-05, "maxiter": 15000, "maxfun": 15000}
#: Deviance increase allowed when a theta is set to exactly 0.
BOUNDARY_TOL = 1e-9
#: L-BFGS-B options of the cluster x time polish (tight: a relative deviance reduction of
#: 1e-15 or a projected gradient of 1e-6).
POLISH = {"ftol": 1e-15, "gtol": 1e-06, "maxiter": 15000, "maxfun": 15000}
#: A theta below STUCK_THETA with a deviance slope in its variance below -STUCK_SLOPE sends
#: the cluster x time fit on to the Nelder-Mead polish.
STUCK_THETA, STUCK_SLOPE = 1e-4, 1e-6
#: The cluster x time fit is not converged if the deviance at GROW * theta is lower.
GROW = 10.0
NO_OPTIMUM = ("the deviance still falls as all theta grow (the residual variance goes to 0): "
              "no finite optimum")
#: ``OptSummary.optimizer`` of the cluster x time fits, without and with Nelder-Mead.
CROSSED = "L-BFGS-B (analytic gradient)"
CROSSED_NM = CROSSED + " + Nelder-Mead"
_GRID = (0.3, 1.0, 3.0)
_CROSSED_STARTS = ((1.0, 1.0, 1.0), (0.3, 0.3, 0.3), (3.0, 3.0, 3.0), (0.3, 1.0, 3.0),
                   (3.0, 1.0, 0.3))


@dataclass(frozen=True)
class OptSummary:
    """Record of the optimisation of theta (stored as ``LMMResult.optsummary``).

    Attributes
    ----------
    optimizer : str
        ``"Nelder-Mead"`` (nested model) or, with the cluster x time intercept,
        ``"L-BFGS-B (analytic gradient)"`` (:data:`CROSSED`), followed by ``" +
        Nelder-Mead"`` when the Nelder-Mead polish ran (:data:`CROSSED_NM`).
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
        intercept: the last polish, L-BFGS-B or Nelder-Mead, with a finite deviance, and
        a deviance not lower at ten times the optimum; see :data:`NO_OPTIMUM`).
    message : str
        That run's message from scipy.
    tolerances : dict
        Options in force: ``nelder_mead`` and, for cluster x time, ``lbfgsb`` and
        ``polish`` (dicts of scipy options), ``boundary`` (float).
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

    def with_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        self.n += 1
        return self.devfun.deviance_and_gradient(theta)


def optimize_theta(devfun: NestedDeviance,
                   theta_names: tuple[str, ...] | None = None,
                   start: Any = None) -> OptSummary:
    """Minimise ``devfun`` over theta with the strategy of the module docstring.

    Parameters
    ----------
    devfun : NestedDeviance or CrossedDeviance
        The profiled deviance (see :func:`~mcbi.stats.lmm.deviance.make_deviance`).
    theta_names : tuple of str, optional
        Names recorded in the summary (default ``theta[0]``, ``theta[1]``, ...).
    start : array-like, optional
        A warm start (e.g. the optimum of the same model on nearly the same data): the
        search runs from it alone instead of from the grid of starts, then as usual (the
        cluster x time polish and checks, the boundary check). Zeros in it are raised to
        1e-3, so that no variance starts stuck at its bound.

    Returns
    -------
    OptSummary
        The optimum is ``np.array(summary.final)``.

    Raises
    ------
    ValueError
        ``theta_names`` of the wrong length, or a ``start`` that is not ``k`` finite
        numbers.
    """
    if theta_names is None:
        theta_names = tuple(f"theta[{j}]" for j in range(devfun.k))
    if len(theta_names) != devfun.k:
        raise ValueError(f"{devfun.k} theta values but {len(theta_names)} theta_names")
    warm = None
    if start is not None:
        try:
            warm = np.abs(np.asarray(start, dtype=float)).ravel()
        except (TypeError, ValueError):
            warm = np.array([np.nan])
        if warm.size != devfun.k or not np.all(np.isfinite(warm)):
            raise ValueError(f"start must be {devfun.k} finite theta values, got {start!r}")
        warm = (tuple(np.maximum(warm, 1e-3)),)
    fun = _Counted(devfun)
    if isinstance(devfun, CrossedDeviance):
        tolerances: dict[str, Any] = {"lbfgsb": dict(LBFGSB), "polish": dict(POLISH)}
        with single_thread_blas():  # L-BFGS-B: see mcbi.stats.blas
            starts, initial, theta, dev, ok, message, name = _crossed(fun, devfun, warm)
    else:
        name = "Nelder-Mead"
        tolerances = {}
        starts, initial, theta, dev, ok, message = _nested(fun, devfun.k, warm)
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


def _nested(fun: _Counted, k: int, warm: tuple | None = None) -> tuple:
    """Nelder-Mead from every start of the grid (or the warm start alone); the best run."""
    grid = (np.array(warm) if warm is not None
            else np.array(np.meshgrid(*[_GRID] * k)).reshape(k, -1).T)
    best_theta, best_dev, ok, message = np.ones(k), np.inf, False, "no finite deviance"
    initial = grid[0]
    for start in grid:
        res = minimize(fun, start, method="Nelder-Mead", options=NELDER_MEAD)
        if res.fun < best_dev:
            best_theta, best_dev, ok = np.abs(res.x), float(res.fun), bool(res.success)
            initial, message = start, str(res.message)
    return grid, initial, best_theta, best_dev, ok, message


def _crossed(fun: _Counted, devfun: CrossedDeviance, warm: tuple | None = None) -> tuple:
    """L-BFGS-B with the analytic gradient from each start (or the warm start alone), a
    tight L-BFGS-B polish from the best, and Nelder-Mead if that polish fails or ends with
    a theta stuck at 0."""
    k = devfun.k
    if warm is not None:
        starts = list(warm)
    elif devfun.by_time:
        n_t = k - 2
        starts = [s[:2] + (s[2],) * n_t for s in _CROSSED_STARTS]
        ramp = tuple(np.geomspace(0.3, 3.0, n_t))
        starts += [(1.0, 1.0) + ramp, (1.0, 1.0) + ramp[::-1]]
    else:
        starts = list(_CROSSED_STARTS)
    best_theta, best_dev = np.ones(k), np.inf
    initial = best_theta
    bounds = [(0.0, None)] * k
    for start in starts:
        res = minimize(fun.with_gradient, np.array(start), method="L-BFGS-B", jac=True,
                       bounds=bounds, options=LBFGSB)
        if np.isfinite(res.fun) and res.fun < best_dev:
            best_theta, best_dev, initial = np.abs(res.x), float(res.fun), np.array(start)
    res = minimize(fun.with_gradient, best_theta, method="L-BFGS-B", jac=True, bounds=bounds,
                   options=POLISH)
    ok, message, name = bool(res.success) and np.isfinite(res.fun), str(res.message), CROSSED
    if res.fun < best_dev:
        best_theta, best_dev = np.abs(res.x), float(res.fun)
    if res.status == 2 and np.isfinite(res.fun):  # 2: stopped, neither converged nor at a limit
        # The line search found no lower deviance: at the rounding floor of the optimum if
        # the gradient is as small as the starts' stopping rule asks.
        pg = float(np.max(np.abs(res.jac)))  # theta >= 0: the gradient is 0 at a bound
        if pg <= LBFGSB["gtol"]:
            ok = True
            message = (f"{str(res.message).rstrip(': ')} (line search at the rounding floor); "
                       f"projected gradient {pg:.1e} <= {LBFGSB['gtol']}")
    if fun(GROW * best_theta) < best_dev:  # no Nelder-Mead: it would follow the ridge
        return starts, initial, best_theta, best_dev, False, NO_OPTIMUM, name
    if not ok or _stuck_at_zero(devfun, best_theta):
        res = minimize(fun, best_theta, method="Nelder-Mead", options=NELDER_MEAD)
        ok, message = bool(res.success) and np.isfinite(res.fun), str(res.message)
        name = CROSSED_NM
        if res.fun < best_dev:
            best_theta, best_dev = np.abs(res.x), float(res.fun)
        if ok and fun(GROW * best_theta) < best_dev:
            ok, message = False, NO_OPTIMUM
    return starts, initial, best_theta, best_dev, ok, message, name


def _stuck_at_zero(devfun: CrossedDeviance, theta: np.ndarray) -> bool:
    """Whether a theta at (or next to) 0 has a deviance falling as its variance rises.

    The gradient in theta is ``2 theta`` times the one in the variance ``theta^2``, so it
    vanishes at 0 whatever the slope in the variance: L-BFGS-B cannot leave such a point.
    """
    small = theta < STUCK_THETA
    if not small.any():
        return False
    _, grad_v = devfun.variance_gradient(theta)
    return bool(np.any(grad_v[small] < -STUCK_SLOPE))


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
