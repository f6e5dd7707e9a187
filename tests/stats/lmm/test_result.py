"""Tests for mcbi.stats.lmm.result: LMMResult and its construction from the stages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _lmm_helpers import BY_TIME, data, fit, reference
from mcbi.stats.lmm import LMMResult
from mcbi.stats.lmm.deviance import make_deviance
from mcbi.stats.lmm.frame import model_frame
from mcbi.stats.lmm.optimize import optimize_theta
from mcbi.stats.lmm.result import build_result


def test_stages_in_a_row_give_fit_lmm() -> None:
    frame = model_frame(data(BY_TIME), "y", "group", "time", "subject", "cluster",
                        time_levels=reference(BY_TIME)["time_levels"], cluster_time="by_time")
    devfun = make_deviance(frame)
    res = build_result(frame, devfun, optimize_theta(devfun, frame.theta_names))
    want = fit(BY_TIME)
    pd.testing.assert_frame_equal(res.fixed, want.fixed, check_exact=True)
    pd.testing.assert_frame_equal(res.variance_components, want.variance_components,
                                  check_exact=True)
    assert res.loglik == want.loglik and res.optsummary == want.optsummary


def test_build_result_at_a_given_theta() -> None:
    """Any optimum may be passed: the result is the profiled fit at that theta."""
    frame = model_frame(data("threelevel"), "y", "group", "time", "subject", "cluster")
    devfun = make_deviance(frame)
    opt = optimize_theta(devfun, frame.theta_names)
    theta = np.array([0.5, 1.0])
    moved = build_result(frame, devfun, type(opt)(**{**opt.__dict__, "final": tuple(theta)}),
                         alpha=0.1)
    dev, beta, sigma2, xvx_inv = devfun.parts(theta)
    np.testing.assert_allclose(moved.params, beta, rtol=1e-12)
    assert moved.loglik == pytest.approx(-dev / 2, rel=1e-12)
    assert moved.variance_components["variance"].tolist() == pytest.approx(
        [0.25 * sigma2, sigma2, sigma2])
    assert moved.loglik < fit("threelevel").loglik
    assert moved.alpha == 0.1


def test_fixed_table_and_repr() -> None:
    res = fit("twolevel")
    assert isinstance(res, LMMResult)
    assert list(res.fixed.columns) == ["term", "estimate", "se", "statistic", "pvalue",
                                       "ci_lower", "ci_upper"]
    assert res.params.index.tolist() == res.cov_fixed.index.tolist()
    assert repr(res).startswith("LMMResult(y ~ group * time, two-level, nobs=")
    assert res.cell_counts.columns.tolist() == ["group", "time", "n"]
    assert res.cell_counts["n"].sum() == res.nobs
    assert res.total_variance == pytest.approx(res.variance_components["variance"].sum())
