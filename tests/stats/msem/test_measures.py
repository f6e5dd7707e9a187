"""Fit measures (mcbi.stats.msem.measures)."""

from __future__ import annotations

import numpy as np
import pytest

from mcbi.stats.msem.estimate import Optimum
from mcbi.stats.msem.h1 import MomentFit
from mcbi.stats.msem.measures import fit_measures, srmr_level


def test_srmr_of_one_level_uses_correlations_and_lower_triangle():
    s = np.array([[4.0, 1.0], [1.0, 1.0]])
    sigma = np.array([[2.0, 0.0], [0.0, 3.0]])
    # correlation residuals: 0.5 off the diagonal only; 3 unique elements
    assert srmr_level(s, sigma) == pytest.approx(np.sqrt(0.25 / 3))
    assert np.isnan(srmr_level(s, -sigma))


def _moment(logl, npar, k):
    opt = Optimum(np.zeros(npar), -2 * logl, 1, 1, 0.0, True, "converged")
    return MomentFit(opt, npar, np.eye(k), np.eye(k + 1), np.zeros(k + 1))


def test_chisq_cfi_tli_rmsea_definitions():
    h1, base = _moment(-100.0, 20, 2), _moment(-160.0, 8, 2)
    fm = fit_measures(-110.0, 15, h1, base, np.eye(2), np.eye(3), np.arange(3), 200, 40)
    assert (fm["chisq"], fm["df"]) == (20.0, 5)
    assert (fm["baseline_chisq"], fm["baseline_df"]) == (120.0, 12)
    assert fm["cfi"] == pytest.approx(1 - 15 / 108)
    assert fm["tli"] == pytest.approx((10 - 4) / (10 - 1))
    assert fm["rmsea"] == pytest.approx(np.sqrt(15 / (200 * 5)))
    assert fm["aic"] == pytest.approx(220 + 30)
    assert fm["bic"] == pytest.approx(220 + 15 * np.log(200))
    assert fm["srmr_within"] == 0.0 and fm["srmr_between"] == 0.0
