"""Tests for mcbi.stats.multitest."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from mcbi.stats import multitest
from mcbi.stats.lmm import holm as lmm_holm
from mcbi.stats.multitest import METHODS, adjust_pvalues, holm


def _old_holm(pvalues) -> np.ndarray:
    """The hand-written Holm adjustment mcbi.stats.lmm had before statsmodels took over."""
    p = np.asarray(pvalues, dtype=float)
    ok = ~np.isnan(p)
    out = np.full(p.shape, np.nan)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * q[order]))
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


VECTORS = [
    [0.01, 0.04, 0.03, 0.005],
    [0.02, np.nan, 0.01],
    [0.03, 0.03, 0.01, np.nan, 0.03],  # ties and a NaN
    [0.5, 0.6, 0.5],  # capped at 1, tied
    [0.0, 1.0, np.nan, np.nan, 0.2, 0.2, 0.0],
    np.random.default_rng(3).uniform(0, 0.2, size=15),
    [np.nan],
    [],
]


@pytest.mark.parametrize("pvalues", VECTORS)
def test_holm_equals_the_old_hand_written_values(pvalues) -> None:
    np.testing.assert_array_equal(holm(pvalues), _old_holm(pvalues))
    np.testing.assert_array_equal(lmm_holm(pvalues), _old_holm(pvalues))


def test_holm_hand_example() -> None:
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04) = 0.06
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1
    np.testing.assert_allclose(holm([0.02, np.nan, 0.01]), [0.02, np.nan, 0.02])  # m = 2
    assert holm([]).shape == (0,)


@pytest.mark.parametrize("method", ["bonferroni", "fdr_bh", "hommel"])
def test_other_methods_skip_nan(method: str) -> None:
    p = np.array([0.01, np.nan, 0.04, 0.03, np.nan])
    got = adjust_pvalues(p, method)
    assert np.isnan(got[[1, 4]]).all()
    np.testing.assert_allclose(got[[0, 2, 3]], multipletests(p[[0, 2, 3]], method=method)[1])


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.5, 1.2])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        adjust_pvalues([-0.1])
    with pytest.raises(ValueError, match="one-dimensional"):
        holm([[0.1, 0.2]])
    with pytest.raises(ValueError, match="numeric"):
        holm(["a"])
    with pytest.raises(ValueError, match="method"):
        adjust_pvalues([0.1], "holmes")
    assert "holm" in METHODS


def test_docstring_examples_run() -> None:
    outcome = doctest.testmod(multitest)
    assert outcome.attempted > 0
    assert outcome.failed == 0


@pytest.mark.parametrize("seed", range(20))
def test_holm_equals_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 0.3, size=int(rng.integers(1, 40)))
    p[rng.uniform(size=p.size) < 0.2] = p[0]  # ties
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-15)
