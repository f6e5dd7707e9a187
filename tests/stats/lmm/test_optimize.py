"""Tests for mcbi.stats.lmm.optimize: the optimiser strategy and its OptSummary record."""

from __future__ import annotations

import numpy as np
import pytest

from _lmm_helpers import BY_TIME, DATASETS, balanced, crossed_inputs, data, fit
from mcbi.stats.lmm import OptSummary, optimize
from mcbi.stats.lmm.deviance import CrossedDeviance, NestedDeviance, make_deviance
from mcbi.stats.lmm.frame import model_frame
from mcbi.stats.lmm.optimize import (
    BOUNDARY_TOL,
    CROSSED,
    CROSSED_NM,
    LBFGSB,
    NELDER_MEAD,
    NO_OPTIMUM,
    POLISH,
    _stuck_at_zero,
    optimize_theta,
)

N_STARTS = {"twolevel": 3, "threelevel": 9, "boundary": 9, "clustertime": 5, BY_TIME: 7}


@pytest.mark.parametrize("name", DATASETS)
def test_optsummary_records_the_fit(name: str) -> None:
    res = fit(name)
    opt = res.optsummary
    assert isinstance(opt, OptSummary)
    comps = res.variance_components.set_index("component")
    assert opt.theta_names == tuple(comps.index[:-1])
    # final theta = random-effect SD / residual SD, fmin = -2 logLik
    np.testing.assert_allclose(opt.final, comps["sd"].iloc[:-1] / comps.loc["residual", "sd"],
                               rtol=1e-12, atol=1e-15)
    assert opt.fmin == pytest.approx(-2 * res.loglik, abs=1e-8)
    assert opt.finitial >= opt.fmin
    assert len(opt.starts) == N_STARTS[name]
    assert opt.initial in opt.starts
    assert all(len(s) == len(opt.final) for s in opt.starts)
    assert opt.feval > 10 * len(opt.starts)
    assert opt.converged is res.converged is True
    assert isinstance(opt.message, str) and opt.message
    assert opt.tolerances["nelder_mead"] == NELDER_MEAD
    assert opt.tolerances["boundary"] == BOUNDARY_TOL
    if res.cluster_time:
        assert opt.optimizer == CROSSED  # the L-BFGS-B polish converged: no Nelder-Mead
        assert opt.tolerances["lbfgsb"] == LBFGSB
        assert opt.tolerances["polish"] == POLISH
    else:
        assert opt.optimizer == "Nelder-Mead"
        assert "lbfgsb" not in opt.tolerances and "polish" not in opt.tolerances


def test_boundary_records_the_singular_components() -> None:
    opt = fit("boundary").optsummary
    assert opt.theta_names[0] == "cluster"
    assert opt.boundary == (0,) and opt.final[0] == 0.0 < opt.final[1]
    assert fit("threelevel").optsummary.boundary == ()


@pytest.mark.parametrize("name", ["threelevel", "clustertime"])
def test_optimize_theta_alone_reproduces_the_fit(name: str) -> None:
    res = fit(name)
    frame = model_frame(data(name), "y", "group", "time", "subject", "cluster",
                        cluster_time=res.cluster_time)
    opt = optimize_theta(make_deviance(frame), frame.theta_names)
    assert opt == res.optsummary


class _Counting(NestedDeviance):
    calls = 0

    def deviance(self, theta: np.ndarray) -> float:
        type(self).calls += 1
        return super().deviance(theta)


def test_feval_counts_every_evaluation() -> None:
    X, y, clus, subj, _ = crossed_inputs("threelevel", (0, 1, 2))
    devfun = _Counting(X, y, subj, clus)
    opt = optimize_theta(devfun)
    assert opt.theta_names == ("theta[0]", "theta[1]")
    assert opt.feval == _Counting.calls - 1  # finitial is evaluated once more, uncounted
    assert opt.finitial == devfun.deviance(np.array(opt.initial))


def test_theta_names_must_match() -> None:
    devfun = make_deviance(model_frame(balanced(), "y", "arm", "wave", "id"))
    with pytest.raises(ValueError, match="theta_names"):
        optimize_theta(devfun, ("cluster", "subject"))


def test_optsummary_is_frozen() -> None:
    opt = fit("twolevel").optsummary
    with pytest.raises(AttributeError):
        opt.fmin = 0.0


# ---------------------------------------------------------- cluster x time: polish and checks


def _clustertime_devfun():
    res = fit("clustertime")
    frame = model_frame(data("clustertime"), "y", "group", "time", "subject", "cluster",
                        cluster_time=True)
    return res, frame, make_deviance(frame)


def test_stuck_at_zero_sees_the_variance_slope() -> None:
    res, _, devfun = _clustertime_devfun()
    theta = np.array(res.optsummary.final)
    assert theta.min() > 0.1  # an interior optimum
    assert not _stuck_at_zero(devfun, theta)
    at_zero = theta.copy()
    at_zero[0] = 0.0  # the cluster variance is clearly positive at the optimum
    assert devfun.deviance_and_gradient(at_zero)[1][0] == 0.0
    assert _stuck_at_zero(devfun, at_zero)


def test_failed_polish_falls_back_to_nelder_mead(monkeypatch: pytest.MonkeyPatch) -> None:
    res, frame, devfun = _clustertime_devfun()
    monkeypatch.setitem(optimize.POLISH, "maxiter", 1)  # the polish cannot report success
    opt = optimize_theta(devfun, frame.theta_names)
    assert opt.optimizer == CROSSED_NM
    assert opt.converged and "terminated successfully" in opt.message
    np.testing.assert_allclose(opt.final, res.optsummary.final, rtol=1e-5)
    assert opt.fmin == pytest.approx(res.optsummary.fmin, abs=1e-8)


class _Ridge(CrossedDeviance):
    """A deviance that keeps falling as theta grows (no finite optimum)."""

    def variance_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        v = np.asarray(theta, dtype=float) ** 2
        return float(np.sum(1.0 / (1.0 + v))), -1.0 / (1.0 + v) ** 2

    def deviance(self, theta: np.ndarray) -> float:
        return self.variance_gradient(theta)[0]


def test_no_finite_optimum_is_not_converged() -> None:
    X, y, clus, subj, tcode = crossed_inputs("clustertime", (0, 1, 2))
    opt = optimize_theta(_Ridge(X, y, subj, clus, tcode, 3))
    assert not opt.converged
    assert opt.message == NO_OPTIMUM
    assert min(opt.final) > 10.0


def test_polish_stopped_by_its_line_search_counts_if_the_gradient_is_small(
        monkeypatch: pytest.MonkeyPatch) -> None:
    res, frame, devfun = _clustertime_devfun()
    real = optimize.minimize

    def abnormal_polish(*args, **kwargs):
        out = real(*args, **kwargs)
        if kwargs.get("options") is optimize.POLISH:  # as scipy reports a failed line search
            out.status, out.success, out.message = 2, False, "ABNORMAL: "
        return out

    monkeypatch.setattr(optimize, "minimize", abnormal_polish)
    opt = optimize_theta(devfun, frame.theta_names)
    assert opt.optimizer == CROSSED and opt.converged
    assert "projected gradient" in opt.message
    assert opt.final == res.optsummary.final


def _refit_with_start(name: str, start):  # noqa: ANN001, ANN202
    """The fixture's model refitted with ``start`` (helpers' fit() with a warm start)."""
    import mcbi.stats.lmm.fit as fit_module
    from _lmm_helpers import reference

    ref, df = reference(name), data(name)
    kw = dict(start=start)
    if name == "twolevel":
        return fit_module.fit_lmm(df, "y", "group", "time", "subject",
                                  group_levels=ref["group_levels"],
                                  time_levels=ref["time_levels"], **kw)
    if name == BY_TIME:
        return fit_module.fit_lmm(df, "y", "group", "time", "subject", "cluster",
                                  time_levels=ref["time_levels"], cluster_time="by_time", **kw)
    return fit_module.fit_lmm(df, "y", "group", "time", "subject", "cluster",
                              cluster_time=name == "clustertime", **kw)


@pytest.mark.parametrize("name", DATASETS)
def test_a_warm_start_finds_the_grid_optimum_with_fewer_evaluations(name: str) -> None:
    cold = fit(name).optsummary
    # start from a point near the optimum, as the same model on nearly the same data gives
    near = np.array(cold.final) * 1.2 + 0.05
    warm = _refit_with_start(name, near).optsummary
    assert warm.converged
    assert len(warm.starts) == 1 and warm.initial == warm.starts[0]
    np.testing.assert_allclose(warm.starts[0], np.maximum(near, 1e-3))
    assert warm.fmin == pytest.approx(cold.fmin, abs=1e-7)
    np.testing.assert_allclose(warm.final, cold.final, rtol=1e-4, atol=1e-5)
    assert warm.boundary == cold.boundary
    assert warm.feval < cold.feval


def test_a_warm_start_at_zero_is_lifted_off_the_bound() -> None:
    warm = _refit_with_start("boundary", [0.0, 0.0]).optsummary
    assert warm.starts == ((1e-3, 1e-3),)
    assert warm.fmin == pytest.approx(fit("boundary").optsummary.fmin, abs=1e-7)


@pytest.mark.parametrize("start", [[1.0], [1.0, np.nan], "a"])
def test_a_bad_warm_start_is_refused(start) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="start must be 2 finite theta values"):
        _refit_with_start("threelevel", start)
