"""Tests of the recovery helpers (the 200-seed check itself is the slow test in
tests/test_simulate.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.synth import recovery
from mcbi.synth.parameters import param
from mcbi.synth.simulate import implied_effects


def test_truths_follow_the_parameters() -> None:
    truth = recovery.truths()
    assert truth[("pms", "post")] == param("pms_effect")[0]
    assert truth[("pms", "followup")] == param("pms_effect")[1]
    implied = implied_effects().set_index(["outcome", "wave"])["implied"]
    assert truth[("eus_p", "post")] == pytest.approx(implied[("eus_p", "post")])


def test_seed_estimates_one_row_per_outcome_and_wave() -> None:
    est = recovery.seed_estimates(1000)
    assert set(zip(est["outcome"], est["wave"], strict=True)) == set(recovery.truths())
    assert est["converged"].all()
    assert (est["se"] > 0).all()


def test_summarize_by_hand() -> None:
    rows = []
    for (outcome, wave), true in recovery.truths().items():
        for k, shift in enumerate((-0.1, 0.0, 0.1)):
            rows.append((k, outcome, wave, true + shift, 0.2, True))
    est = pd.DataFrame(rows, columns=["seed", "outcome", "wave", "estimate", "se",
                                      "converged"])
    table = recovery.summarize(est)
    sd = 0.1  # SD of (-0.1, 0, 0.1) with ddof=1
    assert np.allclose(table["mean"], table["truth"])
    assert np.allclose(table["sd"], sd)
    assert np.allclose(table["mc_se"], sd / np.sqrt(3))
    assert np.allclose(table["se_ratio"], 0.2 / sd)
    assert np.allclose(table["z"], 0.0)


def test_summarize_needs_two_seeds() -> None:
    est = pd.DataFrame([(0, "pms", "post", 0.6, 0.1, True)],
                       columns=["seed", "outcome", "wave", "estimate", "se", "converged"])
    with pytest.raises(ValueError, match="two seeds"):
        recovery.summarize(est)
