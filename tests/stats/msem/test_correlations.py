"""Covariances kept within correlation ±1 by bounds="pos.var" (mcbi.stats.msem.correlations).

Reference: a brute-force maximisation of an independent dense likelihood (each cluster's
stacked vector (y1_1, y2_1, ..., y1_n, y2_n) as one multivariate normal) over the same
constrained space - variances >= 0 (within ones >= 1e-4), covariances written as
ρ·sqrt(v_1 v_2) with ρ in [−1, 1] - by scipy's L-BFGS-B from random starts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _msem_helpers import brute_force_logl, quiet_fit
from mcbi.stats.msem import build_partable
from mcbi.stats.msem.bounds import lower_bounds
from mcbi.stats.msem.correlations import correlation_map

MODEL = "level: 1\n  y1 ~~ y2\nlevel: 2\n  y1 ~~ y2\n"
SEED = 0  # a draw whose unrestricted between correlation is beyond 1 (checked below)


def _data(seed: int, n_clusters: int = 40) -> pd.DataFrame:
    """Two both-level variables; y2 has a tiny between variance, strongly correlated."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, n_clusters)
    g = np.repeat(np.arange(n_clusters), sizes)
    vb, r = np.array([0.3, 0.01]), 0.9
    c = r * np.sqrt(vb[0] * vb[1])
    ub = rng.multivariate_normal([0, 0], [[vb[0], c], [c, vb[1]]], n_clusters)
    e = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], len(g))
    y = ub[g] + e
    return pd.DataFrame({"cluster": g, "y1": y[:, 0], "y2": y[:, 1]})


def _minus2ll(p: np.ndarray, groups: dict[int, np.ndarray]) -> float:
    v1w, v2w, rw, v1b, v2b, rb, m1, m2 = p
    sw = np.array([[v1w, rw * np.sqrt(v1w * v2w)], [rw * np.sqrt(v1w * v2w), v2w]])
    sb = np.array([[v1b, rb * np.sqrt(v1b * v2b)], [rb * np.sqrt(v1b * v2b), v2b]])
    total = 0.0
    for n, vecs in groups.items():
        cov = np.kron(np.ones((n, n)), sb) + np.kron(np.eye(n), sw)
        try:
            total += -2 * stats.multivariate_normal(np.tile([m1, m2], n), cov).logpdf(
                vecs).sum()
        except (ValueError, np.linalg.LinAlgError):
            return 1e10
    return total


def _brute_force(data: pd.DataFrame, n_starts: int = 10, seed: int = 0) -> float:
    groups: dict[int, list] = {}
    for _, grp in data.groupby("cluster"):
        groups.setdefault(len(grp), []).append(grp[["y1", "y2"]].to_numpy().ravel())
    stacked = {n: np.atleast_2d(np.array(v)) for n, v in groups.items()}
    box = [(1e-4, None), (1e-4, None), (-1, 1), (0, None), (0, None), (-1, 1), (None, None),
           (None, None)]
    rng = np.random.default_rng(seed)
    starts = [np.array([rng.uniform(0.3, 2), rng.uniform(0.3, 2), rng.uniform(-0.9, 0.9),
                        rng.uniform(0.01, 0.5), rng.uniform(0.01, 0.5), rng.uniform(-0.9, 0.9),
                        rng.normal(0, 0.3), rng.normal(0, 0.3)]) for _ in range(n_starts)]
    return brute_force_logl(_minus2ll, (stacked,), box, starts)


def _between(res) -> pd.Series:
    est = res.estimates[res.estimates["level"] == 2].set_index(["lhs", "rhs"])
    return est


@pytest.fixture(scope="module")
def fits():
    data = _data(SEED)
    return data, quiet_fit(MODEL, data), quiet_fit(MODEL, data, bounds="pos.var", starts="multi")


def test_unbounded_fit_of_the_test_data_has_a_correlation_beyond_one(fits):
    _, free, _ = fits
    b = _between(free)["estimate"]
    assert b[("y1", "y1")] > 0 and b[("y2", "y2")] > 0
    assert abs(b[("y1", "y2")]) / np.sqrt(b[("y1", "y1")] * b[("y2", "y2")]) > 1
    assert not free.admissible


def test_bounded_fit_keeps_the_correlation_within_one_and_flags_it(fits):
    _, _, bounded = fits
    b = _between(bounded)
    v1, v2, c = (b.loc[k, "estimate"] for k in (("y1", "y1"), ("y2", "y2"), ("y1", "y2")))
    assert bounded.converged and bounded.admissible
    assert abs(c) <= np.sqrt(v1 * v2) * (1 + 1e-10)
    assert abs(c) == pytest.approx(np.sqrt(v1 * v2), rel=1e-8)
    row = bounded.estimates.index[(bounded.estimates["level"] == 2)
                                  & (bounded.estimates["lhs"] == "y1")
                                  & (bounded.estimates["rhs"] == "y2")][0]
    assert bounded.at_bound[row]
    assert np.isnan(bounded.estimates.loc[row, ["se", "statistic", "pvalue"]].astype(float)).all()
    assert any("correlation" in w for w in bounded.warnings)
    interior = (bounded.estimates["free"] > 0) & ~bounded.at_bound
    assert np.isfinite(bounded.estimates.loc[interior, "se"]).all()


def test_bounded_logl_reaches_the_brute_force_maximum(fits):
    data, free, bounded = fits
    best = _brute_force(data)
    assert bounded.fit_measures["logl"] >= best - 1e-6
    assert bounded.fit_measures["logl"] <= free.fit_measures["logl"] + 1e-8


def test_corner_with_a_negative_variance_is_not_a_trap():
    """Seed 8: the unrestricted optimum has a negative between variance *and* |ρ| > 1.

    Written as ρ·sqrt(v_1 v_2), the corner v_2 = 0 (covariance 0) stopped the optimiser
    there at a lower log L; with standard deviations the default start alone reaches the
    brute-force maximum (ρ = 1, both variances positive).
    """
    data = _data(8)
    free, bounded = quiet_fit(MODEL, data), quiet_fit(MODEL, data, bounds="pos.var")
    assert not free.admissible
    assert bounded.converged and bounded.admissible
    assert bounded.fit_measures["logl"] >= _brute_force(data) - 1e-6


def test_inactive_correlation_bounds_give_the_unbounded_solution():
    data = _data(2)
    free, bounded = quiet_fit(MODEL, data), quiet_fit(MODEL, data, bounds="pos.var")
    assert free.admissible and not bounded.at_bound.any()
    np.testing.assert_allclose(free.estimates["estimate"], bounded.estimates["estimate"],
                               atol=2e-4)


def test_map_round_trip_and_chain_rule():
    table, _ = build_partable(MODEL)
    npar = int(table["free"].max())
    lower = lower_bounds(table, npar, "pos.var")
    cmap = correlation_map(table, lower)
    assert len(cmap) == 2  # one covariance per level
    assert len(correlation_map(table, lower_bounds(table, npar, None))) == 0
    rng = np.random.default_rng(1)
    u = rng.uniform(0.2, 1.5, npar)
    u[cmap.cov] = [0.4, -0.7]
    np.testing.assert_allclose(cmap.to_internal(cmap.to_natural(u)), u)
    weights = rng.normal(size=npar)

    def f(x):  # a smooth function of theta
        th = cmap.to_natural(x)
        return float(weights @ th + 0.5 * (th**2).sum())

    grad = cmap.gradient(u, weights + cmap.to_natural(u))
    eps = 1e-6
    num = np.array([(f(u + eps * e) - f(u - eps * e)) / (2 * eps) for e in np.eye(npar)])
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-8)
