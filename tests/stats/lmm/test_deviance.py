"""Tests for mcbi.stats.lmm.deviance: the profiled deviance on its own, against dense GLS
algebra and lme4's optimum (no optimiser involved)."""

from __future__ import annotations

import numpy as np
import pytest

from _lmm_helpers import (
    BY_TIME,
    DATASETS,
    crossed_deviances,
    crossed_inputs,
    data,
    dense_profile,
    reference,
    same,
)
from mcbi.stats.lmm.deviance import CrossedDeviance, NestedDeviance, make_deviance
from mcbi.stats.lmm.frame import model_frame


def _frame(name: str):
    ref = reference(name)
    kw = {"time_levels": ref["time_levels"]} if name in ("twolevel", BY_TIME) else {}
    if name == "twolevel":
        return model_frame(data(name), "y", "group", "time", "subject",
                           group_levels=ref["group_levels"], **kw)
    cluster_time = "by_time" if name == BY_TIME else name == "clustertime"
    return model_frame(data(name), "y", "group", "time", "subject", "cluster",
                       cluster_time=cluster_time, **kw)


@pytest.mark.parametrize("name", DATASETS)
def test_deviance_at_lme4_theta_is_lme4_deviance(name: str) -> None:
    """Built from the model frame alone and evaluated at lme4's optimum, the deviance is
    lme4's -2 logLik; beta and sigma^2 profiled out there are lme4's estimates."""
    ref, frame = reference(name), _frame(name)
    devfun = make_deviance(frame)
    assert isinstance(devfun, CrossedDeviance) == bool(frame.cluster_time)
    v = ref["varcomp"]
    theta = np.sqrt(np.array([v[c] for c in frame.theta_names]) / v["residual"])
    assert devfun(theta) == pytest.approx(-2 * ref["loglik"], abs=1e-6)
    dev, beta, sigma2, _ = devfun.parts(theta)
    assert dev == pytest.approx(-2 * ref["loglik"], abs=1e-6)
    np.testing.assert_allclose(beta, list(ref["fixef"].values()), rtol=1e-6, atol=1e-8)
    assert sigma2 == pytest.approx(v["residual"], rel=1e-6)


def test_nested_deviance_matches_dense_computation() -> None:
    """The Sherman-Morrison deviance equals a dense GLS computation at any theta."""
    X, y, clus, subj, _ = crossed_inputs("threelevel", (0, 1, 2))
    two, three = NestedDeviance(X, y, subj, None), NestedDeviance(X, y, subj, clus)
    assert (two.k, three.k) == (1, 2)
    n = len(y)
    for theta in ([0.7, 1.3], [0.0, 0.9], [1.2, 0.0]):
        a, b = np.square(theta)
        dev, beta, sigma2, xvx_inv = dense_profile(np.eye(n) + a * same(clus) + b * same(subj),
                                                   X, y)
        got = three.parts(np.array(theta))
        assert got[0] == pytest.approx(dev, rel=1e-11)
        np.testing.assert_allclose(got[1], beta, rtol=1e-9, atol=1e-12)
        assert got[2] == pytest.approx(sigma2, rel=1e-10)
        np.testing.assert_allclose(got[3], xvx_inv, rtol=1e-9, atol=1e-13)
        # the sign of theta is irrelevant; no cluster variance is the two-level model
        assert three(-np.array(theta)) == three(np.array(theta))
        assert three(np.array([0.0, theta[1]])) == pytest.approx(two(np.array([theta[1]])),
                                                                 rel=1e-12)


def test_clustertime_deviance_matches_dense_computation() -> None:
    """The Woodbury/Cholesky deviance equals a dense-matrix GLS computation at any theta."""
    X, y, clus, subj, tcode, prof, _ = crossed_deviances("clustertime", (0, 1, 2))
    n = len(y)
    for theta in ([0.7, 1.3, 0.4], [0.0, 0.9, 1.1], [1.2, 0.0, 0.0]):
        a, b, c = np.square(theta)
        sigma = np.eye(n) + a * same(clus) + b * same(subj) + c * same(clus * 3 + tcode)
        dev, beta, sigma2, xvx_inv = dense_profile(sigma, X, y)
        got = prof.parts(np.array(theta))
        assert got[0] == pytest.approx(dev, rel=1e-11)
        np.testing.assert_allclose(got[1], beta, rtol=1e-9, atol=1e-12)
        assert got[2] == pytest.approx(sigma2, rel=1e-10)
        np.testing.assert_allclose(got[3], xvx_inv, rtol=1e-9, atol=1e-13)


def test_by_time_deviance_matches_dense_computation() -> None:
    """The per-wave Woodbury deviance equals a dense GLS computation at any theta."""
    X, y, clus, subj, tcode, common, prof = crossed_deviances(
        BY_TIME, ("pre", "post", "followup"))
    n = len(y)
    for theta in ([0.7, 1.3, 0.2, 1.1, 0.5], [0.0, 0.9, 0.0, 1.4, 0.0], [1.2, 0.0, 0.3, 0.0, 2.0]):
        a, b = theta[0] ** 2, theta[1] ** 2
        sigma = np.eye(n) + a * same(clus) + b * same(subj)
        for t, c in enumerate(np.square(theta[2:])):
            at_t = (tcode == t).astype(float)
            sigma += c * same(clus) * np.outer(at_t, at_t)
        dev, beta, sigma2, xvx_inv = dense_profile(sigma, X, y)
        got = prof.parts(np.array(theta))
        assert got[0] == pytest.approx(dev, rel=1e-11)
        assert prof.deviance(np.array(theta)) == pytest.approx(dev, rel=1e-11)
        np.testing.assert_allclose(got[1], beta, rtol=1e-9, atol=1e-12)
        assert got[2] == pytest.approx(sigma2, rel=1e-10)
        np.testing.assert_allclose(got[3], xvx_inv, rtol=1e-9, atol=1e-13)
    # equal per-wave values are the common-variance model (cluster_time=True)
    for theta in ([0.7, 1.3, 0.4], [0.0, 0.9, 1.1]):
        equal = np.array(theta[:2] + [theta[2]] * 3)
        assert prof.deviance(equal) == pytest.approx(common.deviance(np.array(theta)),
                                                      rel=1e-12)


def test_crossed_deviance_without_cluster_time_is_the_nested_one() -> None:
    X, y, clus, subj, _, common, _ = crossed_deviances("clustertime", (0, 1, 2))
    nested = NestedDeviance(X, y, subj, clus)
    for theta in ([0.7, 1.3], [0.0, 0.9], [2.0, 0.1]):
        assert common(np.array(theta + [0.0])) == pytest.approx(nested(np.array(theta)),
                                                                 rel=1e-12)


def test_undefined_deviance_is_infinite() -> None:
    X, y, clus, subj, _ = crossed_inputs("threelevel", (0, 1, 2))
    devfun = NestedDeviance(X, y, subj, clus)
    assert devfun(np.array([np.nan, 1.0])) == np.inf


@pytest.mark.parametrize("name", ["clustertime", BY_TIME, "boundary"])
def test_crossed_gradient_matches_finite_differences(name: str) -> None:
    """The analytic gradient (in theta and in the variances theta^2) is the central
    finite-difference gradient of the deviance, for both cluster x time forms."""
    levels = ("pre", "post", "followup") if name == BY_TIME else (0, 1, 2)
    *_, common, by_time = crossed_deviances(name, levels)
    rng = np.random.default_rng(3)
    for devfun in (common, by_time):
        for theta in rng.uniform(0.05, 2.0, size=(3, devfun.k)):
            dev, grad = devfun.deviance_and_gradient(theta)
            assert dev == devfun.deviance(theta)
            h = 1e-6
            fd = [(devfun(theta + h * e) - devfun(theta - h * e)) / (2 * h)
                  for e in np.eye(devfun.k)]
            np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)
            _, grad_v = devfun.variance_gradient(theta)
            np.testing.assert_allclose(grad, 2 * theta * grad_v, rtol=1e-12)


def test_crossed_variance_gradient_at_zero() -> None:
    """At theta = 0 the gradient in theta vanishes but the one in the variance does not:
    it is the one-sided derivative of the deviance in theta^2."""
    *_, common, _ = crossed_deviances("clustertime", (0, 1, 2))
    theta = np.array([0.0, 0.9, 0.5])
    dev, grad = common.deviance_and_gradient(theta)
    assert grad[0] == 0.0
    _, grad_v = common.variance_gradient(theta)
    v = 1e-7
    one_sided = (common(np.array([np.sqrt(v), 0.9, 0.5])) - dev) / v
    assert grad_v[0] == pytest.approx(one_sided, rel=1e-4)
    assert grad_v[0] != 0.0


def test_undefined_gradient_is_infinite_deviance() -> None:
    *_, common, _ = crossed_deviances("clustertime", (0, 1, 2))
    dev, grad = common.deviance_and_gradient(np.array([np.nan, 1.0, 1.0]))
    assert dev == np.inf and np.all(grad == 0.0)


@pytest.mark.parametrize("name", ["clustertime", BY_TIME])
def test_reml_crossed_gradient_matches_finite_differences(name: str) -> None:
    """The REML gradient (``n - p`` and the ``log|X' Sigma^-1 X|`` term) is the central
    finite-difference gradient of the REML criterion."""
    levels = ("pre", "post", "followup") if name == BY_TIME else (0, 1, 2)
    X, y, clus, subj, tcode = crossed_inputs(name, levels)
    rng = np.random.default_rng(5)
    for by_time in (False, True):
        devfun = CrossedDeviance(X, y, subj, clus, tcode, len(levels), by_time, reml=True)
        for theta in rng.uniform(0.05, 2.0, size=(3, devfun.k)):
            dev, grad = devfun.deviance_and_gradient(theta)
            assert dev == pytest.approx(devfun.parts(theta)[0], abs=1e-9)
            h = 1e-6
            fd = [(devfun(theta + h * e) - devfun(theta - h * e)) / (2 * h)
                  for e in np.eye(devfun.k)]
            np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["threelevel", "clustertime"])
def test_reml_criterion_matches_dense_computation(name: str) -> None:
    """REML criterion = log|Sigma| + log|X' Sigma^-1 X| + (n - p)(1 + log(2 pi rss/(n-p)))
    by dense algebra; sigma^2 = rss / (n - p)."""
    X, y, clus, subj, tcode = crossed_inputs(name, (0, 1, 2))
    n, p = X.shape
    theta = np.array([0.7, 0.9, 0.4]) if name == "clustertime" else np.array([0.7, 0.9])
    sigma = np.eye(n) + theta[0] ** 2 * same(clus) + theta[1] ** 2 * same(subj)
    if name == "clustertime":
        devfun = CrossedDeviance(X, y, subj, clus, tcode, 3, reml=True)
        sigma += theta[2] ** 2 * same(clus * 3 + tcode)
    else:
        devfun = NestedDeviance(X, y, subj, clus, reml=True)
    ml_dev, beta, s2_ml, xvx_inv = dense_profile(sigma, X, y)
    rss = s2_ml * n
    dense = (np.linalg.slogdet(sigma)[1] - np.linalg.slogdet(xvx_inv)[1]
             + (n - p) * (1 + np.log(2 * np.pi * rss / (n - p))))
    dev, b, s2, _ = devfun.parts(theta)
    assert dev == pytest.approx(dense, abs=1e-8)
    assert devfun.deviance(theta) == pytest.approx(dense, abs=1e-8)
    assert s2 == pytest.approx(rss / (n - p), rel=1e-10)
    np.testing.assert_allclose(b, beta, rtol=1e-9)


def test_reml_needs_more_observations_than_fixed_effects() -> None:
    X = np.eye(3)
    with pytest.raises(ValueError, match="REML needs more observations"):
        NestedDeviance(X, np.ones(3), np.array([0, 0, 1]), None, reml=True)
