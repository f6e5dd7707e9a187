"""Tests for mcbi.stats.wald."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from scipy import stats

from mcbi.stats import wald as wald_module
from mcbi.stats.wald import check_alpha, wald


def test_wald_by_hand() -> None:
    tab = wald([2.0, -1.0, 0.0], [1.0, 0.5, 0.3])
    assert tuple(tab.columns) == ("estimate", "se", "statistic", "pvalue", "ci_lower",
                                  "ci_upper")
    np.testing.assert_allclose(tab["statistic"], [2.0, -2.0, 0.0])
    np.testing.assert_allclose(tab["pvalue"], [0.04550026389635842] * 2 + [1.0])
    z = 1.959963984540054
    np.testing.assert_allclose(tab["ci_lower"], [2.0 - z, -1.0 - 0.5 * z, -0.3 * z])
    np.testing.assert_allclose(tab["ci_upper"], [2.0 + z, -1.0 + 0.5 * z, 0.3 * z])


def test_alpha_sets_the_level() -> None:
    tab = wald(np.array([1.0]), np.array([2.0]), alpha=0.1)
    assert tab.loc[0, "ci_upper"] - 1.0 == pytest.approx(2.0 * stats.norm.ppf(0.95))
    assert check_alpha(np.float64(0.01)) == 0.01


def test_scalars_nan_and_zero_se() -> None:
    assert len(wald(1.0, 0.5)) == 1
    tab = wald([1.0, np.nan, 1.0, 0.0], [np.nan, 1.0, 0.0, 0.0])
    assert tab.iloc[:2].isna().drop(columns=["estimate", "se"]).all().all()
    assert tab.loc[2, "statistic"] == np.inf and tab.loc[2, "pvalue"] == 0.0
    assert np.isnan(tab.loc[3, "statistic"])


@pytest.mark.parametrize("alpha", [0, 1, 1.5, -0.1, "0.05", None, True, np.nan])
def test_bad_alpha(alpha) -> None:
    with pytest.raises(ValueError, match="alpha"):
        wald([1.0], [1.0], alpha=alpha)


def test_bad_arrays() -> None:
    with pytest.raises(ValueError, match="equal length"):
        wald([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="one-dimensional"):
        wald([[1.0]], [[1.0]])
    with pytest.raises(ValueError, match="non-negative"):
        wald([1.0], [-1.0])
    with pytest.raises(ValueError, match="numeric"):
        wald(["a"], [1.0])


def test_docstring_examples_run() -> None:
    outcome = doctest.testmod(wald_module)
    assert outcome.attempted > 0
    assert outcome.failed == 0


def test_wald_t_by_hand() -> None:
    from mcbi.stats.wald import wald_t

    tab = wald_t([2.0, -1.0, 1.0], [1.0, 0.5, 0.5], [5.0, 12.0, np.inf])
    assert tuple(tab.columns) == ("estimate", "se", "statistic", "pvalue", "ci_lower", "ci_upper")
    np.testing.assert_allclose(tab["pvalue"], [2 * stats.t.sf(2.0, 5), 2 * stats.t.sf(2.0, 12),
                                               2 * stats.norm.sf(2.0)])
    q = stats.t.ppf(0.975, 5)
    assert tab.loc[0, "ci_lower"] == pytest.approx(2.0 - q)
    assert tab.loc[2, "ci_upper"] == pytest.approx(1.0 + 0.5 * stats.norm.ppf(0.975))
    bad = wald_t([1.0], [1.0], [0.0])  # no positive df: no p-value, no interval
    assert np.isnan(bad.loc[0, "pvalue"]) and np.isnan(bad.loc[0, "ci_lower"])
    with pytest.raises(ValueError, match="df must be numeric"):
        wald_t([1.0, 2.0], [1.0, 1.0], [1.0, 2.0, 3.0])
