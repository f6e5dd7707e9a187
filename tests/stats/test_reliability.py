"""Cronbach's alpha and McDonald's omega against hand computations and known models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.stats.reliability import (
    alpha_from_covariance,
    cronbach_alpha,
    item_covariance,
    mcdonald_omega,
    one_factor,
    pairwise_n,
    reliability,
    smooth_covariance,
)


def _with_covariance(cov: np.ndarray, n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Data whose sample covariance (ddof 1) is exactly ``cov``."""
    p = cov.shape[0]
    z = np.random.default_rng(seed).standard_normal((n, p))
    z -= z.mean(axis=0)
    # whiten: sample covariance of z becomes the identity
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    x = z @ np.linalg.cholesky(cov).T
    assert np.allclose(np.cov(x, rowvar=False), cov)
    return pd.DataFrame(x, columns=[f"i{j}" for j in range(p)])


def test_alpha_hand_computed() -> None:
    # a = 1,2,3,4: var 5/3; b = 2,2,4,4: var 4/3; c = 1,3,3,5: var 8/3 -> sum 17/3
    # totals 4,7,10,13: var 45/3 = 15
    # alpha = 3/2 * (1 - (17/3) / 15) = 3/2 * 28/45 = 14/15
    df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 5]})
    assert cronbach_alpha(df) == pytest.approx(14 / 15)


def test_alpha_listwise_drops_incomplete_rows() -> None:
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, np.nan],
                       "c": [1, 3, 3, 5, 1]})
    assert cronbach_alpha(df, missing="listwise") == pytest.approx(14 / 15)


def test_alpha_pairwise_uses_every_answer() -> None:
    # the fifth row answers a and c: var(a), var(c) and cov(a, c) use 5 rows, the rest 4
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 4, 4, np.nan],
                       "c": [1, 3, 3, 5, 1]})
    cov = np.array([[df["a"].var(), df[["a", "b"]].dropna().cov().iloc[0, 1],
                     df[["a", "c"]].cov().iloc[0, 1]],
                    [0, df["b"].var(), df[["b", "c"]].dropna().cov().iloc[0, 1]],
                    [0, 0, df["c"].var()]])
    cov = np.triu(cov) + np.triu(cov, 1).T
    k = 3
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    assert cronbach_alpha(df) == pytest.approx(expected)
    assert cronbach_alpha(df) != pytest.approx(14 / 15)
    np.testing.assert_array_equal(pairwise_n(df), [[5, 4, 5], [4, 4, 4], [5, 4, 5]])


def test_alpha_of_identical_items_is_one_and_of_uncorrelated_items_is_near_zero() -> None:
    assert cronbach_alpha(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4]})) == 1.0
    assert cronbach_alpha(_with_covariance(np.eye(5))) == pytest.approx(0.0, abs=1e-12)


def test_one_factor_recovers_loadings_and_unique_variances() -> None:
    lam = np.array([0.4, 0.6, 0.8, 0.9, 0.7])
    psi = 1 - lam**2
    scale = np.array([1.0, 2.0, 0.5, 3.0, 1.5])  # items on different scales
    cov = np.outer(lam, lam) + np.diag(psi)
    cov = cov * np.outer(scale, scale)
    est_l, est_psi = one_factor(cov)
    est_l = est_l * np.sign(est_l.sum())
    np.testing.assert_allclose(est_l, lam * scale, atol=1e-3)
    np.testing.assert_allclose(est_psi, psi * scale**2, atol=1e-3)


def test_omega_equals_alpha_for_tau_equivalent_items() -> None:
    # equal loadings 0.7, k = 4: sum(cov) = 4 + 12 * 0.49 = 9.88
    # alpha = 4/3 * (1 - 4 / 9.88); omega = 2.8^2 / 9.88 = 7.84 / 9.88 (the same number)
    lam = np.full(4, 0.7)
    cov = np.outer(lam, lam) + np.diag(1 - lam**2)
    df = _with_covariance(cov)
    assert cronbach_alpha(df) == pytest.approx(7.84 / 9.88)
    assert mcdonald_omega(df) == pytest.approx(7.84 / 9.88, abs=1e-4)


def test_omega_of_congeneric_items_exceeds_alpha() -> None:
    lam = np.array([0.3, 0.5, 0.7, 0.9])
    psi = 1 - lam**2
    cov = np.outer(lam, lam) + np.diag(psi)
    df = _with_covariance(cov, seed=1)
    omega = lam.sum() ** 2 / (lam.sum() ** 2 + psi.sum())  # 5.76 / (5.76 + 1.36)
    assert mcdonald_omega(df) == pytest.approx(omega, abs=1e-4)
    assert cronbach_alpha(df) < omega


@pytest.mark.parametrize("fn", [cronbach_alpha, mcdonald_omega])
def test_reliability_needs_two_items_and_three_rows(fn) -> None:
    with pytest.raises(ValueError, match="two items"):
        fn(pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]}))
    short = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": [1.0, 3.0, 2.0]})
    with pytest.raises(ValueError, match="3 complete rows"):
        fn(short, missing="listwise")
    with pytest.raises(ValueError, match="each pair of items"):
        fn(short)


def test_missing_must_be_known() -> None:
    with pytest.raises(ValueError, match="pairwise, listwise"):
        item_covariance(pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 4]}), missing="fiml")


def test_alpha_rejects_constant_total() -> None:
    with pytest.raises(ValueError, match="zero variance"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [3, 2, 1]}))


def test_alpha_from_covariance_by_hand() -> None:
    cov = np.array([[1.0, 0.5], [0.5, 1.0]])  # 2 / 1 * (1 - 2 / 3) = 2 / 3
    assert alpha_from_covariance(cov) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="square"):
        alpha_from_covariance(np.ones((2, 3)))


def test_smooth_covariance_leaves_positive_definite_alone_and_fixes_the_rest() -> None:
    good = np.array([[2.0, 0.5], [0.5, 1.0]])
    out, changed = smooth_covariance(good)
    assert not changed and out is good
    # correlations .9, .9, -.9 cannot coexist: an indefinite matrix
    bad = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]]) * 4
    assert np.linalg.eigvalsh(bad).min() < 0
    fixed, changed = smooth_covariance(bad)
    assert changed
    assert np.linalg.eigvalsh(fixed).min() > 0
    np.testing.assert_allclose(np.diag(fixed), np.diag(bad))  # variances kept


def test_reliability_summary_reports_n_and_never_raises() -> None:
    df = _with_covariance(np.full((4, 4), 0.5) + 0.5 * np.eye(4), n=40)
    df.iloc[0, 0] = np.nan
    df.iloc[1, 1] = np.nan
    out = reliability(df)
    assert out["n_items"] == 4 and out["n_respondents"] == 40
    assert out["n_complete"] == 38 and out["n_pairwise_min"] == 38
    assert out["alpha"] == pytest.approx(cronbach_alpha(df))
    assert out["omega"] == pytest.approx(mcdonald_omega(df))
    assert out["note"] == ""


@pytest.mark.parametrize(("frame", "reason"), [
    (pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": [np.nan, 3.0, 2.0, np.nan]}),
     "fewer than 3 respondents answered every pair"),
    (pd.DataFrame({"a": [1.0, 2.0, 3.0]}), "fewer than two items"),
    (pd.DataFrame({"a": [2.0, 2.0, 2.0], "b": [1.0, 3.0, 2.0]}), "an item has no variance"),
    (pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 2.0, 1.0]}), "zero variance"),
    (pd.DataFrame({"a": [np.nan] * 3, "b": [np.nan] * 3}), "fewer than 3"),
])
def test_reliability_not_estimable_gives_reason(frame, reason) -> None:
    out = reliability(frame)
    assert np.isnan(out["alpha"]) and np.isnan(out["omega"])
    assert out["note"].startswith("not estimable") and reason in out["note"]


def test_reliability_notes_smoothing_of_an_indefinite_pairwise_matrix() -> None:
    # three items, each pair answered by different rows with conflicting correlations
    a = [1, 2, 3, 4, 1, 2, 3, 4, np.nan, np.nan, np.nan, np.nan]
    b = [1, 2, 3, 4, np.nan, np.nan, np.nan, np.nan, 1, 2, 3, 4]
    c = [np.nan, np.nan, np.nan, np.nan, 1, 2, 3, 4, 4, 3, 2, 1]
    df = pd.DataFrame({"a": a, "b": b, "c": c}, dtype=float)
    assert np.linalg.eigvalsh(df.cov().to_numpy()).min() < 0
    out = reliability(df)
    assert out["note"].startswith("smoothed")
    assert out["alpha"] <= 1 and np.isfinite(out["omega"])
    assert out["n_complete"] == 0 and out["n_pairwise_min"] == 4


def test_reliability_listwise_counts_complete_rows() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, np.nan], "b": [1.0, 3.0, 2.0, 1.0]})
    out = reliability(df, missing="listwise")
    assert out["n_complete"] == 3 and out["alpha"] == pytest.approx(
        cronbach_alpha(df, missing="listwise"))
