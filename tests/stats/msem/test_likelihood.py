"""Two-level likelihood and its analytic gradient (mcbi.stats.msem.likelihood)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from _msem_helpers import MODELS, load_data
from mcbi.stats.msem.data import prepare_data
from mcbi.stats.msem.likelihood import NotPositiveDefinite, minus2logl
from mcbi.stats.msem.partable import build_partable


def _moments(rng, p_y, p_z, within_only=0):
    a = rng.normal(size=(p_y, p_y))
    sigma_w = a @ a.T / p_y + np.eye(p_y)
    q = p_y + p_z
    b = rng.normal(size=(q, q)) * 0.5
    phi = b @ b.T / q + 0.2 * np.eye(q)
    if within_only:
        phi[-within_only:, :] = 0.0
        phi[:, -within_only:] = 0.0
    return sigma_w, phi, rng.normal(size=q)


def _data(name, summarize=True):
    table, roles = build_partable(MODELS[name]["model"])
    return prepare_data(load_data(name), "cluster", roles, summarize=summarize), roles


def _numeric_gradient(fun, x, h=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (fun(x + e) - fun(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("name", ["mediation_211", "missing_fiml", "unbalanced"])
def test_gradient_matches_finite_differences(name):
    data, roles = _data(name)
    rng = np.random.default_rng(1)
    sw, phi, mu = _moments(rng, data.p_y, data.p_z, within_only=len(roles.within_only))
    _, (g_w, g_phi, g_mu) = minus2logl(sw, phi, mu, data, gradient=True)
    # symmetric perturbations: d f = tr(G dΣ) with dΣ symmetric
    def sym(fun):
        return lambda m: fun(0.5 * (m + m.T))
    num_w = _numeric_gradient(sym(lambda m: minus2logl(m, phi, mu, data)), sw)
    num_phi = _numeric_gradient(sym(lambda m: minus2logl(sw, m, mu, data)), phi)
    num_mu = _numeric_gradient(lambda m: minus2logl(sw, phi, m, data), mu)
    np.testing.assert_allclose(0.5 * (g_w + g_w.T), num_w, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(0.5 * (g_phi + g_phi.T), num_phi, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(g_mu, num_mu, rtol=1e-5, atol=1e-4)
    if name == "missing_fiml":
        assert data.groups, "the missing-data fixture must exercise the FIML path"


@pytest.mark.parametrize("name", ["mediation_211", "unbalanced"])
def test_sufficient_statistics_equal_per_cluster_likelihood(name):
    summarized, _ = _data(name, summarize=True)
    per_cluster, _ = _data(name, summarize=False)
    rng = np.random.default_rng(4)
    sw, phi, mu = _moments(rng, summarized.p_y, summarized.p_z)
    a = minus2logl(sw, phi, mu, summarized, gradient=True)
    b = minus2logl(sw, phi, mu, per_cluster, gradient=True)
    assert a[0] == pytest.approx(b[0], rel=1e-10)
    for ga, gb in zip(a[1], b[1], strict=True):
        np.testing.assert_allclose(ga, gb, rtol=1e-8, atol=1e-8)


def test_matches_brute_force_density_of_stacked_clusters():
    import pandas as pd

    rng = np.random.default_rng(8)
    sizes = [1, 2, 3, 1, 4]
    g = np.repeat(np.arange(len(sizes)), sizes)
    df = pd.DataFrame({"cluster": g, "y1": rng.normal(size=len(g)),
                       "y2": rng.normal(size=len(g)), "w": rng.normal(size=len(sizes))[g]})
    df.loc[3, "y2"] = np.nan
    df.loc[df["cluster"] == 4, "w"] = np.nan  # a cluster-level value missing
    _, roles = build_partable("level: 1\n y1 ~ y2\nlevel: 2\n y1 ~ y2 + w\n")
    data = prepare_data(df, "cluster", roles)
    assert sum(len(g["x"]) for g in data.groups) == 2
    sw, phi, mu = _moments(rng, 2, 1)
    total = 0.0
    for c, n in enumerate(sizes):
        rows = df[df["cluster"] == c]
        x = np.concatenate([[rows["w"].iloc[0]], rows[["y1", "y2"]].to_numpy().ravel()])
        lmap = np.zeros((1 + 2 * n, 3))
        lmap[0, 0] = 1
        for i in range(n):
            lmap[1 + 2 * i: 3 + 2 * i, 1:] = np.eye(2)
        cov = lmap @ phi @ lmap.T
        for i in range(n):
            cov[1 + 2 * i: 3 + 2 * i, 1 + 2 * i: 3 + 2 * i] += sw
        ok = ~np.isnan(x)
        total += multivariate_normal(lmap[ok] @ mu, cov[np.ix_(ok, ok)]).logpdf(x[ok])
    assert minus2logl(sw, phi, mu, data) == pytest.approx(-2 * total, rel=1e-10)


def test_not_positive_definite_is_raised():
    data, _ = _data("unbalanced")
    sw, phi, mu = _moments(np.random.default_rng(0), data.p_y, data.p_z)
    with pytest.raises(NotPositiveDefinite):
        minus2logl(-sw, phi, mu, data)
