"""mcbi.paper.sample.names: glue names of the sample chapter."""

from __future__ import annotations

import pandas as pd
import pytest

from mcbi.paper.sample import names


def test_flow_values_by_hand() -> None:
    counts = pd.DataFrame({
        "arm": ["control", "MCBI"],
        "therapists_randomized": [4, 6], "patients_enrolled": [10, 10],
        "therapists_post": [3, 5], "patients_post": [6, 9],
        "therapists_followup": [2, 6], "patients_followup": [5, 5],
    })
    sizes = pd.Series([1, 1, 3, 2, 4, 1, 2, 2, 3, 1])
    values = names.flow_values(counts, sizes, "MCBI", "control")
    assert values == pytest.approx({
        "n_therapists": 10, "n_patients": 20, "n_mcbi": 6, "n_control": 4,
        "max_cluster": 4, "n_single": 4,
        "t_post_pct": 80.0, "t_fu_pct": 80.0, "p_post_pct": 75.0, "p_fu_pct": 50.0})


def test_flow_values_without_follow_up_and_with_suppression() -> None:
    counts = pd.DataFrame({
        "arm": ["control", "MCBI"],
        "therapists_randomized": [4, 6], "patients_enrolled": [10, 10],
        "therapists_post": [3, 5], "patients_post": [6, 9],
    })
    sizes = pd.Series([1, 1, 3, 2, 4, 1, 2, 2, 3, 1])
    values = names.flow_values(counts, sizes, "MCBI", "control")
    assert values["t_fu_pct"] is None and values["p_fu_pct"] is None
    assert values["t_post_pct"] == pytest.approx(80.0)
    assert values["n_single"] == 4
    assert names.flow_values(counts, sizes, "MCBI", "control", min_cell=5)["n_single"] is None


def test_reliability_values_skip_two_item_scales() -> None:
    rel = pd.DataFrame({"n_items": [2, 3, 10, 5], "alpha": [0.2, 0.7, 0.9, 0.8]})
    assert names.reliability_values(rel) == {"alpha_min": 0.7, "alpha_max": 0.9}


# --- mechanism -------------------------------------------------------------------------
