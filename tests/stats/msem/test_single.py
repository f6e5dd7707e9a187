"""mcbi.stats.msem.fit_single_level against lavaan's one-level FIML with a mean structure.

Reference: tests/fixtures/lavaan/single_level.json (fit_single_level.R, lavaan 0.6
``sem(model, missing = "fiml", meanstructure = TRUE)`` on seeded data with non-zero
intercepts and 15 % missing cells). Tolerances: estimates 1e-5 absolute, standard errors
1e-4 relative (both optimisers stop well inside these).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mcbi.stats.msem import fit_single_level

HERE = Path(__file__).parents[2] / "fixtures" / "lavaan"


def _reference() -> tuple[dict, pd.DataFrame]:
    ref = json.loads((HERE / "single_level.json").read_text("utf-8"))
    return ref, pd.read_csv(HERE / ref["data"])


def test_every_parameter_matches_lavaan() -> None:
    ref, data = _reference()
    res = fit_single_level(ref["model"], data)
    assert res.converged
    lav = pd.DataFrame(ref["parameters"])
    ours = res.estimates.copy()
    ours["rhs"] = np.where(ours["op"] == "~1", "", ours["rhs"])
    lav["rhs"] = lav["rhs"].fillna("")
    both = lav.merge(ours, on=["lhs", "op", "rhs"], validate="one_to_one")
    assert len(both) == len(lav) == 26  # regressions, covariances, variances, intercepts
    assert set(both["op"]) == {"~", "~~", "~1"}
    assert np.allclose(both["estimate"], both["est"], rtol=0, atol=1e-5)
    # lavaan's fixed.x = TRUE holds the exogenous variable's mean and variance at their
    # sample values (SE 0); here they are estimated, with the same values
    free = both["se_x"] > 0
    assert (~free).sum() <= 2 and set(both.loc[~free, "lhs"]) == {"mcbi"}
    assert np.allclose(both.loc[free, "se_x"], both.loc[free, "se_y"], rtol=1e-4, atol=0)
    assert (res.estimates["level"] == 1).all()
    assert res.fit_measures["nclusters"] == res.fit_measures["ntotal"] == len(data)


def test_rows_are_independent_whatever_their_order() -> None:
    ref, data = _reference()
    a = fit_single_level(ref["model"], data).estimates
    b = fit_single_level(ref["model"], data.iloc[::-1].reset_index(drop=True)).estimates
    assert np.allclose(a["estimate"], b["estimate"], atol=1e-6)


def test_a_column_named_like_the_row_index_is_kept_apart() -> None:
    ref, data = _reference()
    a = fit_single_level(ref["model"], data).estimates
    b = fit_single_level(ref["model"], data.assign(_row=7)).estimates
    assert np.allclose(a["estimate"], b["estimate"], atol=1e-8)


def test_two_level_syntax_is_refused() -> None:
    with pytest.raises(ValueError, match="level"):
        fit_single_level("level: 1\n y ~ x\nlevel: 2\n y ~ w", pd.DataFrame({"y": [1.0]}))
