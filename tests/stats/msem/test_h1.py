"""Saturated and baseline models, ICCs (mcbi.stats.msem.h1)."""

from __future__ import annotations

import numpy as np

from _msem_helpers import MODELS, fitted, load_data
from mcbi.stats.msem.data import prepare_data
from mcbi.stats.msem.h1 import fit_baseline, fit_saturated, icc
from mcbi.stats.msem.partable import build_partable


def test_saturated_model_bounds_the_fitted_models():
    _, roles = build_partable(MODELS["path_l2"]["model"])
    data = prepare_data(load_data("path_l2"), "cluster", roles)
    h1, base = fit_saturated(roles, data), fit_baseline(roles, data)
    assert h1.optimum.converged and base.optimum.converged
    logl = fitted("path_l2").fit_measures["logl"]
    assert base.logl < logl < h1.logl
    # H1 is unrestricted: no covariance of a within-only variable at level 2
    assert np.all(h1.phi[:, roles.between_vars.index("x1")] == 0)
    iccs = icc(h1, roles)
    assert iccs["x1"] == 0.0 and 0.2 < iccs["y1"] < 0.6
