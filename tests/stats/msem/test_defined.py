"""Defined parameters: evaluation, delta method, Monte Carlo (mcbi.stats.msem.defined)."""

from __future__ import annotations

import numpy as np
import pytest

from mcbi.stats.msem.defined import DefinedParameters
from mcbi.stats.msem.partable import build_partable

MODEL = """level: 1
  y ~ m
level: 2
  m ~ a*x
  y ~ b*m + c*x
ab := a*b
rel := ab / (c + ab)
sq := sqrt(a^2)
"""


def _theta(table, a, b, c):
    theta = np.zeros(int(table["free"].max()))
    lab = table[table["label"] != ""].set_index("label")["free"]
    theta[lab[["a", "b", "c"]].to_numpy() - 1] = [a, b, c]
    return theta


def test_values_and_chained_definitions():
    table, _ = build_partable(MODEL)
    d = DefinedParameters(table)
    vals = d.evaluate(_theta(table, 0.5, -2.0, 3.0))
    np.testing.assert_allclose(vals, [-1.0, -1.0 / 2.0, 0.5])
    draws = np.stack([_theta(table, 0.5, -2.0, 3.0), _theta(table, 1.0, 1.0, 1.0)])
    np.testing.assert_allclose(d.evaluate(draws)[:, 0], [-1.0, 1.0])


def test_delta_method_of_a_product():
    table, _ = build_partable(MODEL)
    d = DefinedParameters(table)
    theta = _theta(table, 0.5, -2.0, 3.0)
    lab = table[table["label"] != ""].set_index("label")["free"] - 1
    vcov = np.eye(len(theta)) * 0.01
    # Var(ab) ~ b² Var(a) + a² Var(b)
    expected = np.sqrt(4.0 * 0.01 + 0.25 * 0.01)
    assert d.delta_se(theta, vcov)[0] == pytest.approx(expected, rel=1e-6)
    jac = d.jacobian(theta)
    assert jac[0, lab["a"]] == pytest.approx(-2.0) and jac[0, lab["b"]] == pytest.approx(0.5)


def test_monte_carlo_percentiles():
    table, _ = build_partable(MODEL)
    d = DefinedParameters(table)
    theta = _theta(table, 0.5, -2.0, 3.0)
    vcov = np.eye(len(theta)) * 1e-4
    out = d.monte_carlo(theta, vcov, n_draws=5000, seed=3, level=0.9)
    row = out.iloc[0]
    se = np.sqrt(4.0 * 1e-4 + 0.25 * 1e-4)
    assert row["ci_lower"] == pytest.approx(-1.0 - 1.645 * se, abs=0.01)
    assert row["ci_upper"] == pytest.approx(-1.0 + 1.645 * se, abs=0.01)


def test_unknown_label_is_rejected():
    table, _ = build_partable("level: 1\n y ~ a*x\nlevel: 2\n y ~ w\n d := a*q\n")
    with pytest.raises(ValueError, match="unknown label 'q'"):
        DefinedParameters(table)
