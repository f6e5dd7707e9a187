"""Flat vector <-> model matrices (mcbi.stats.msem.matrices)."""

from __future__ import annotations

import numpy as np
import pytest

from _msem_helpers import MODELS, load_data
from mcbi.stats.msem.data import prepare_data
from mcbi.stats.msem.estimate import start_values
from mcbi.stats.msem.likelihood import minus2logl
from mcbi.stats.msem.matrices import ModelMatrices
from mcbi.stats.msem.partable import build_partable


def _setup(name, summarize=True):
    table, roles = build_partable(MODELS[name]["model"])
    mm = ModelMatrices(table, roles)
    data = prepare_data(load_data(name), "cluster", roles, summarize=summarize)
    return table, roles, mm, data


def test_implied_moments_of_a_known_structure():
    table, roles = build_partable(
        "level: 1\n f =~ y1 + l*y2\n f ~ x\nlevel: 2\n y1 ~~ y2\n")
    mm = ModelMatrices(table, roles)
    theta = np.zeros(mm.npar)
    t = table.set_index(["lhs", "op", "rhs", "level"])["free"] - 1
    theta[t[("f", "=~", "y2", 1)]] = 2.0
    theta[t[("f", "~", "x", 1)]] = 0.5
    theta[t[("f", "~~", "f", 1)]] = 1.0
    theta[t[("x", "~~", "x", 1)]] = 4.0
    theta[t[("y1", "~~", "y1", 1)]] = 0.3
    theta[t[("y2", "~~", "y2", 1)]] = 0.3
    theta[t[("x", "~1", "", 1)]] = 1.5
    theta[t[("y1", "~1", "", 2)]] = 7.0
    sw, phi, mu = mm.implied(theta)
    var_f = 0.5 ** 2 * 4.0 + 1.0
    assert roles.y == ["y1", "y2", "x"]
    np.testing.assert_allclose(sw[:2, :2], [[var_f + 0.3, 2 * var_f], [2 * var_f,
                                                                       4 * var_f + 0.3]])
    np.testing.assert_allclose(sw[2, :2], [0.5 * 4.0, 1.0 * 4.0])
    # x is within-only: no between part; its mean lives at level 1 and reaches y1, y2
    # through the within structure (mean of f = 0.5 * 1.5); total mean = within + between
    assert np.all(phi[2, :] == 0) and np.all(phi[:, 2] == 0)
    np.testing.assert_allclose(mu, [7.0 + 0.75, 2 * 0.75, 1.5])


@pytest.mark.parametrize("name", ["demo", "missing_fiml", "mediation_211"])
def test_parameter_gradient_matches_finite_differences(name):
    table, roles, mm, data = _setup(name)
    theta = start_values(table, mm, data) * 1.05 + 0.01

    def f(th):
        return minus2logl(*mm.implied(th), data)

    sw, phi, mu = mm.implied(theta)
    _, grads = minus2logl(sw, phi, mu, data, gradient=True)
    analytic = mm.gradient(theta, *grads)
    h = 1e-6
    numeric = np.array([(f(theta + e) - f(theta - e)) / (2 * h)
                        for e in np.eye(len(theta)) * h])
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=2e-3)


def test_fill_writes_free_and_fixed_values():
    table, _, mm, _ = _setup("mediation_211")
    out = mm.fill(table.copy(), np.arange(1.0, mm.npar + 1))
    free = out["free"] > 0
    np.testing.assert_array_equal(out.loc[free, "est"], out.loc[free, "free"].astype(float))
    assert np.all(out.loc[~free & (out["op"] == "~1"), "est"] == 0.0)
