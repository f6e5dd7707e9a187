"""The δ-adjusted multiple imputation and its tipping points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.outcomes.models import OK
from mcbi.paper.sensitivity import analyses, fits, tipping


def test_check_grid() -> None:
    assert tipping.check_grid([0.5, -0.5, 0], 5) == ([-0.5, 0.0, 0.5], 5)
    for bad in ([], [0.1, 0.1], ["a"], 0.5, [True]):
        with pytest.raises(ValueError, match="deltas"):
            tipping.check_grid(bad, 5)
    with pytest.raises(ValueError, match="imputations"):
        tipping.check_grid([0.0], 1)


@pytest.fixture(scope="module")
def tipped(trial):
    targets = [t for t in fits.targets(trial) if t.outcome in ("pms", "bsi_som")]
    primaries = analyses.primary_fits(targets)
    return primaries, tipping.tipping(primaries, [-1.0, 0.0, 1.0], m=4, seed=1)


def test_the_shift_moves_the_estimate_in_the_direction_of_improvement(tipped) -> None:
    _, tip = tipped
    assert (tip["status"] == OK).all()
    for outcome, sign in (("pms", 1), ("bsi_som", -1)):  # BSI: lower is better
        for _, sub in tip[tip["outcome"] == outcome].groupby("time"):
            est = sub.sort_values("delta")["estimate"].to_numpy()
            assert (np.diff(est) * sign > 0).all()
    assert (tip["n_shifted"] > 0).all() and tip["fmi"].between(0, 1).all()


def test_delta_zero_is_close_to_the_primary_analysis(tipped) -> None:
    primaries, tip = tipped
    primary = pd.concat([fits.between(f, 0.05, "kenward-roger") for f in primaries])
    zero = tip[tip["delta"] == 0].merge(primary, on=["outcome", "time"], suffixes=("", "_p"))
    assert ((zero["estimate"] - zero["estimate_p"]).abs() < 0.5 * zero["se_p"]).all()


def test_same_seed_same_result(tipped) -> None:
    primaries, tip = tipped
    again = tipping.tipping(primaries[:1], [-1.0, 0.0, 1.0], m=4, seed=1)
    pd.testing.assert_frame_equal(again, tip[tip["outcome"] == "pms"].reset_index(drop=True))


def _tip_rows(pvalues: list[float], estimates: list[float]) -> pd.DataFrame:
    deltas = [-1.0, -0.5, 0.0, 0.5, 1.0]
    return pd.DataFrame({"outcome": "x", "label": "X", "time": "post", "delta": deltas,
                         "estimate": estimates, "pvalue": pvalues, "status": OK})


def test_tipping_points_find_the_smallest_shift() -> None:
    primary = pd.DataFrame({"outcome": ["x"], "label": ["X"], "time": ["post"],
                            "estimate": [0.5], "pvalue": [0.01], "status": [OK],
                            "sufficient": [True]})
    tip = _tip_rows([0.2, 0.04, 0.01, 0.001, 0.0001], [0.1, 0.3, 0.5, 0.7, 0.9])
    got = tipping.tipping_points(tip, primary, 0.05).iloc[0]
    assert got["tip_delta"] == -1.0 and got["tip_text"] == "1.00 SD against the MCBI arm"
    tip = _tip_rows([0.01] * 5, [0.5] * 5)
    got = tipping.tipping_points(tip, primary, 0.05).iloc[0]
    assert np.isnan(got["tip_delta"]) and got["tip_text"] == "none within \u00b11.00 SD"
    tip = _tip_rows([0.01, 0.01, 0.2, 0.01, 0.01], [0.5] * 5)
    assert tipping.tipping_points(tip, primary, 0.05)["tip_text"].iloc[0] == "already at δ = 0"
    flipped = _tip_rows([0.01] * 5, [-0.5, 0.5, 0.5, 0.5, 0.5])
    assert tipping.tipping_points(flipped, primary, 0.05)["tip_delta"].iloc[0] == -1.0


def test_a_contrast_failing_the_sufficiency_rule_never_tips() -> None:
    primary = pd.DataFrame({"outcome": ["x"], "label": ["X"], "time": ["post"],
                            "estimate": [0.5], "pvalue": [0.01], "status": [OK],
                            "sufficient": [False]})
    tip = _tip_rows([0.2, 0.04, 0.01, 0.001, 0.0001], [0.1, 0.3, 0.5, 0.7, 0.9])
    assert np.isnan(tipping.tipping_points(tip, primary, 0.05)["tip_delta"].iloc[0])
