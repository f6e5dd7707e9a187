"""Tests for REML fits and the small-sample inference of mcbi.stats.lmm.ddf against R.

Reference chain: tests/fixtures/lme4/make_data.py and tests/fixtures/lmertest/make_data.py
(seeded) write the CSVs; tests/fixtures/lmertest/fit_lmertest.R fits them with lme4
(REML and ML, tight bobyqa tolerances) and tests every contrast with lmerTest's
``contest1D`` (Satterthwaite; Kenward-Roger through pbkrtest's ``vcovAdj`` and ``Lb_ddf``);
versions are recorded in each JSON.

Models: ``twolevel``, ``threelevel``, ``boundary`` (the ML cluster variance at 0),
``clustertime`` (cluster_time=True), ``clustertime_by_time`` (``"by_time"``), and on the
small, unbalanced, incomplete ``small.csv`` (10 clusters, 26 subjects with an outcome,
55 of 81 outcomes observed) ``small_nested``, ``small_clustertime`` and ``small_by_time``
(a singular REML fit). Contrasts: every coefficient, every within-group change from
baseline and every between-group difference in change (group x time).

Tolerances (measured maximum over the eight models in brackets):
- REML fixed effects and variance components: 1e-5 relative, 1e-6 absolute near 0
  [8.3e-8, 2.7e-7]; REML criterion 1e-6 absolute [3.6e-12]; vcov 1e-6 relative;
  KR's adjusted covariance (pbkrtest ``vcovAdj``) 1e-6 relative [1.0e-7].
- Satterthwaite (REML fit) and Kenward-Roger: SE, t, df, p and CI bounds 1e-6 relative
  [SE 5.5e-8, t 7.6e-8, df 1.2e-7 (KR 5.1e-8), p 3.3e-7, CI 1.7e-7]; estimates and CI
  bounds relative to ``max(|value|, SE)`` (they may sit near 0); p-values below 1e-4 (the
  intercepts' tests, down to about 1e-50) as the relative error of ``log p`` [8.1e-8]: there
  ``p`` itself moves by about ``t^2`` times the relative error of ``t``.
- Satterthwaite on ML fits: 1e-5 relative [df 1.2e-6, the rest <= 2.2e-7]: our ML optimum and
  lme4's differ by up to 1.7e-6 relative in the variance components (small_clustertime),
  and the df follows them.
"""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from _ddf_helpers import (
    FIT_ABS,
    FIT_REL,
    FIXTURES,
    ML_REL,
    MODELS,
    P_LOG,
    QUANTITIES,
    REL,
    STRUCTURE,
    fit,
    reference,
)
from mcbi.stats.lmm import LMMResult, contrast_test, contrasts, fit_lmm, kenward_roger, kr_ddf
from mcbi.stats.lmm.ddf import _hessian_phi, _structure, contrast_matrix, variance_parameters
from mcbi.stats.lmm.deviance import make_deviance


def _rel(actual, expected, floor: float = 0.0) -> float:
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(a - e) / np.maximum(np.abs(e), floor)))


def _check(tab: pd.DataFrame, rows: list[dict], rel: float) -> None:
    """Compare a contrast_test table with R's rows quantity by quantity."""
    se = np.array([r["se"] for r in rows])
    for q in QUANTITIES:
        expected = np.array([r[q] for r in rows])
        got = tab[q].to_numpy()
        if q in ("estimate", "ci_lower", "ci_upper"):  # may sit near 0: relative to the SE
            err = np.abs(got - expected) / np.maximum(np.abs(expected), se)
        elif q == "pvalue":  # tiny p (intercepts): relative error of log p
            tiny = expected < P_LOG
            err = np.where(tiny, np.abs(np.log(got) - np.log(expected))
                           / np.abs(np.log(expected)), np.abs(got - expected) / expected)
        else:
            err = np.abs(got - expected) / np.abs(expected)
        assert np.max(err) < rel, (q, float(np.max(err)))


@pytest.mark.parametrize("name", MODELS)
def test_reml_fit_matches_lme4(name: str) -> None:
    ref, res = reference(name)["reml"], fit(name)
    assert res.reml
    np.testing.assert_allclose(res.params.to_numpy(), list(ref["fixef"].values()),
                               rtol=FIT_REL, atol=FIT_ABS)
    vc = res.variance_components.set_index("component")["variance"]
    assert set(vc.index) == set(ref["varcomp"])
    for comp, value in ref["varcomp"].items():
        assert vc[comp] == pytest.approx(value, rel=FIT_REL, abs=FIT_ABS)
    assert -2.0 * res.loglik == pytest.approx(ref["reml_criterion"], abs=1e-6)
    np.testing.assert_allclose(res.cov_fixed.to_numpy(), ref["vcov"], rtol=REL, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_satterthwaite_matches_lmertest(name: str) -> None:
    ref = reference(name)
    L = np.array([c["L"] for c in ref["contrasts"]])
    tab = contrast_test(fit(name), L, ddf="satterthwaite")
    assert (tab["method"] == "Satterthwaite").all()
    _check(tab, [c["satterthwaite"] for c in ref["contrasts"]], REL)


@pytest.mark.parametrize("name", MODELS)
def test_kenward_roger_matches_pbkrtest(name: str) -> None:
    ref = reference(name)
    L = np.array([c["L"] for c in ref["contrasts"]])
    tab = contrast_test(fit(name), L, ddf="kenward-roger")
    assert (tab["method"] == "Kenward-Roger").all()
    _check(tab, [c["kenward_roger"] for c in ref["contrasts"]], REL)
    assert _rel(tab["df"], [c["kr_Lb_ddf"] for c in ref["contrasts"]]) < REL
    phi_a = kenward_roger(fit(name))[0]
    np.testing.assert_allclose(phi_a, ref["reml"]["vcov_adjusted"], rtol=REL, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_satterthwaite_on_ml_fit_matches_lmertest(name: str) -> None:
    ref = reference(name)
    L = np.array([c["L"] for c in ref["contrasts"]])
    tab = contrast_test(fit(name, reml=False), L, ddf="satterthwaite")
    _check(tab, [c["satterthwaite_ml"] for c in ref["contrasts"]], ML_REL)


def test_fixtures_cover_the_contrasts_and_structures() -> None:
    kinds = {c["contrast"] for n in MODELS for c in reference(n)["contrasts"]}
    assert kinds == {"coefficient", "within", "between"}
    assert {reference(n)["structure"] for n in MODELS} == set(STRUCTURE)
    assert reference("small_by_time")["reml"]["singular"]  # a boundary fit among them
    assert all(reference(n)["lmerTest_version"] and reference(n)["pbkrtest_version"]
               for n in MODELS)


# ----------------------------------------------------------------------- internal checks


def _deviance_phi(res: LMMResult, phi: np.ndarray) -> float:
    """The fit's criterion as a function of lmerTest's ``(theta, sigma)`` (dense algebra)."""
    frame = res.frame
    vs, _ = _structure(res)
    theta, sigma = phi[:-1], phi[-1]
    psi = np.append(sigma**2 * theta**2, sigma**2)
    X, y = frame.X, frame.y
    n, p = X.shape
    V = np.zeros((n, n))
    codes = vs._codes(frame)
    for m, code in enumerate(codes):
        V += psi[m] * ((code[:, None] == code[None, :]) & (code[:, None] >= 0))
    V += psi[-1] * np.eye(n)
    Vi = np.linalg.inv(V)
    A = X.T @ Vi @ X
    beta = np.linalg.solve(A, X.T @ Vi @ y)
    e = y - X @ beta
    dev = np.linalg.slogdet(V)[1] + e @ Vi @ e + n * np.log(2 * np.pi)
    if res.reml:
        dev += np.linalg.slogdet(A)[1] - p * np.log(2 * np.pi)
    return float(dev)


@pytest.mark.parametrize("name,reml", [("small_clustertime", True), ("small_by_time", True),
                                       ("small_nested", False)])
def test_analytic_hessian_matches_finite_differences(name: str, reml: bool) -> None:
    res = fit(name, reml)
    theta, sigma = variance_parameters(res)
    phi0 = np.append(theta, sigma)
    vs, psi = _structure(res)
    H, _ = _hessian_phi(vs.pieces(psi), psi, reml)
    h = 1e-4
    k = len(phi0)
    num = np.empty((k, k))
    for i in range(k):
        for j in range(k):
            ei, ej = h * np.eye(k)[i], h * np.eye(k)[j]
            num[i, j] = (_deviance_phi(res, phi0 + ei + ej) - _deviance_phi(res, phi0 + ei - ej)
                         - _deviance_phi(res, phi0 - ei + ej)
                         + _deviance_phi(res, phi0 - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(H, num, rtol=1e-4, atol=1e-4 * np.abs(num).max())


def test_dense_criterion_agrees_with_the_profiled_deviance() -> None:
    res = fit("small_by_time")
    theta, sigma = variance_parameters(res)
    devfun = make_deviance(res.frame, reml=True)
    assert _deviance_phi(res, np.append(theta, sigma)) == pytest.approx(
        devfun.deviance(theta), abs=1e-8)


def test_kr_df_of_one_row_is_two_over_a2() -> None:
    res = fit("small_clustertime")
    phi_a, P, W = kenward_roger(res)
    phi = res.cov_fixed.to_numpy()
    row = np.zeros(phi.shape[0])
    row[-1] = 1.0
    theta_mat = np.outer(row, row) / (row @ phi @ row)
    u = [theta_mat @ phi @ Pm @ phi for Pm in P]
    a2 = sum(W[i, j] * np.trace(u[i] @ u[j]) for i in range(len(P)) for j in range(len(P)))
    df, scaling = kr_ddf(row[None, :], phi, P, W)
    assert df == pytest.approx(2.0 / a2, rel=1e-10)
    assert scaling == pytest.approx(1.0, rel=1e-10)  # one row: no F scaling


def test_kr_adjusted_covariance_exceeds_the_unadjusted() -> None:
    res = fit("small_nested")
    phi_a = kenward_roger(res)[0]
    assert np.all(np.linalg.eigvalsh(phi_a - res.cov_fixed.to_numpy()) > -1e-12)


def test_contrasts_z_path_is_unchanged() -> None:
    res = fit("threelevel", reml=False)
    default, z = contrasts(res), contrasts(res, ddf="z")
    pd.testing.assert_frame_equal(default, z)
    assert "df" not in z.columns and "method" not in z.columns


def test_contrasts_with_ddf_match_contrast_test() -> None:
    res = fit("small_by_time")
    for ddf in ("satterthwaite", "kenward-roger"):
        tab = contrasts(res, ddf=ddf)
        assert list(tab.columns[tab.columns.get_loc("statistic") + 1:][:1]) == ["df"]
        between = tab[tab["contrast"] == "between"]
        L = np.zeros((2, 6))
        L[0, 4] = L[1, 5] = 1.0  # group x time interactions
        ref = contrast_test(res, L, ddf=ddf)
        np.testing.assert_allclose(between["df"], ref["df"], rtol=1e-12)
        np.testing.assert_allclose(between["pvalue"], ref["pvalue"], rtol=1e-12)
        assert (tab["df"] > 1).all() and np.isfinite(tab["df"]).all()


def test_z_contrast_test_matches_contrasts() -> None:
    res = fit("small_nested", reml=False)
    tab = contrasts(res)
    between = tab[tab["contrast"] == "between"]
    L = np.zeros((2, 6))
    L[0, 4] = L[1, 5] = 1.0
    z = contrast_test(res, L)
    np.testing.assert_array_equal(z["pvalue"], between["pvalue"])
    assert np.isinf(z["df"]).all() and (z["method"] == "z").all()


def test_rhs_shifts_the_statistic_not_the_interval() -> None:
    res = fit("small_nested")
    L = np.zeros(6)
    L[4] = 1.0
    a = contrast_test(res, L, "kenward-roger")
    b = contrast_test(res, L, "kenward-roger", rhs=0.5)
    assert b["statistic"].iloc[0] == pytest.approx((a["estimate"].iloc[0] - 0.5)
                                                   / a["se"].iloc[0])
    assert b["ci_lower"].iloc[0] == pytest.approx(a["ci_lower"].iloc[0])
    assert b["estimate"].iloc[0] == a["estimate"].iloc[0]


def test_contrast_by_term_names() -> None:
    res = fit("small_nested")
    terms = list(res.fixed["term"])
    by_name = contrast_test(res, pd.Series({terms[-1]: 1.0}), "satterthwaite")
    L = np.zeros(len(terms))
    L[-1] = 1.0
    pd.testing.assert_frame_equal(by_name, contrast_test(res, L, "satterthwaite"))


@pytest.mark.parametrize("L,ddf,message", [
    (np.ones(6), "welch", "ddf must be one of"),
    (np.ones(5), "z", "needs 6 columns"),
    (np.array([np.nan] * 6), "z", "non-finite"),
    (pd.Series({"nope": 1.0}), "z", "not among the fixed effects"),
])
def test_bad_input_raises(L, ddf: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        contrast_test(fit("small_nested"), L, ddf=ddf)


def test_kenward_roger_needs_reml() -> None:
    with pytest.raises(ValueError, match="REML"):
        contrast_test(fit("small_nested", reml=False), np.ones(6), ddf="kenward-roger")
    with pytest.raises(ValueError, match="REML"):
        contrasts(fit("small_nested", reml=False), ddf="kenward-roger")


def test_contrast_matrix_shapes() -> None:
    res = fit("small_nested")
    assert contrast_matrix(res, np.ones(6)).shape == (1, 6)
    assert contrast_matrix(res, np.ones((3, 6))).shape == (3, 6)


def test_reml_argument_is_checked() -> None:
    d = pd.read_csv(FIXTURES / "lmertest" / "small.csv")
    with pytest.raises(ValueError, match="reml"):
        fit_lmm(d, "y", "group", "time", "subject", "cluster", reml="yes")


def test_docstring_examples() -> None:
    mod = importlib.import_module("mcbi.stats.lmm.ddf")
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0


def test_kr_df_is_infinite_when_the_variances_do_not_matter() -> None:
    res = fit("small_nested")
    _, P, W = kenward_roger(res)
    phi = res.cov_fixed.to_numpy()
    df, scaling = kr_ddf(np.eye(6)[:1], phi, np.zeros_like(P), W)
    assert df == np.inf and scaling == 1.0


def test_marginal_means_with_ddf() -> None:
    from mcbi.stats.lmm import marginal_means

    res = fit("small_clustertime")
    z = marginal_means(res)
    pd.testing.assert_frame_equal(z, marginal_means(res, ddf="z"))
    assert "df" not in z.columns
    kr = marginal_means(res, ddf="kenward-roger")
    assert list(kr.columns) == ["outcome", "group", "time", "estimate", "se", "df", "ci_lower",
                                "ci_upper", "n"]
    np.testing.assert_allclose(kr["estimate"], z["estimate"], rtol=1e-12)
    assert (kr["se"] >= z["se"] - 1e-12).all()  # KR's adjustment only widens
    assert ((kr["ci_upper"] - kr["ci_lower"]) > (z["ci_upper"] - z["ci_lower"])).all()
    with pytest.raises(ValueError, match="ddf must be one of"):
        marginal_means(res, ddf="wald")


def test_kr_ddf_division_by_zero_follows_r_arithmetic() -> None:
    """q = 1, one variance with P = I, W = 0.5: A1 = A2 = 0.5, so V2 = 1 - (4/7)(7/4) = 0 and
    pbkrtest's rho = V0 / V2 is Inf, df = 4 + 3 / Inf = 4 (it raised ZeroDivisionError)."""
    from mcbi.stats.lmm.ddf import kr_ddf

    df, _ = kr_ddf(np.array([[1.0, 0.0]]), np.eye(2), np.eye(2)[None], np.array([[0.5]]))
    assert df == pytest.approx(4.0)
