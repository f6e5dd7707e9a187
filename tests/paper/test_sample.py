"""mcbi.paper.sample: standardized differences, participant flow, baseline tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mcbi.paper import sample
from mcbi.trial import design

# --- standardized_difference -----------------------------------------------------------


def test_smd_continuous_pooled_sample_variances() -> None:
    a = pd.Series([1.0, 2.0, 3.0, 4.0])  # mean 2.5, var (ddof=1) = 5 / 3
    b = pd.Series([2.0, 4.0, 6.0])  # mean 4, var (ddof=1) = 8 / 2 = 4
    expected = (2.5 - 4.0) / math.sqrt((5 / 3 + 4.0) / 2)
    assert sample.standardized_difference(a, b) == pytest.approx(expected, rel=1e-12)
    assert sample.standardized_difference(b, a) == pytest.approx(-expected, rel=1e-12)


def test_smd_drops_missing() -> None:
    a = pd.Series([1.0, np.nan, 2.0, 3.0, 4.0])
    b = pd.Series([2.0, 4.0, np.nan, 6.0])
    expected = (2.5 - 4.0) / math.sqrt((5 / 3 + 4.0) / 2)
    assert sample.standardized_difference(a, b) == pytest.approx(expected, rel=1e-12)


def test_smd_binary_population_variances() -> None:
    a = pd.Series([1, 1, 0, 0])  # p = .5, p(1 - p) = .25
    b = pd.Series([1, 0, 0, 0])  # p = .25, p(1 - p) = .1875
    expected = (0.5 - 0.25) / math.sqrt((0.25 + 0.1875) / 2)
    assert sample.standardized_difference(a, b) == pytest.approx(expected, rel=1e-12)
    # booleans are indicators too
    assert sample.standardized_difference(a.astype(bool), b.astype(bool)) == pytest.approx(
        expected, rel=1e-12)


def test_smd_identical_constant_groups_is_zero() -> None:
    assert sample.standardized_difference(pd.Series([2.0, 2.0]), pd.Series([2.0, 2.0])) == 0.0


@pytest.mark.parametrize(("a", "b"), [([1.0, 1.0], [0.0, 0.0]), ([3.0, 3.0, 3.0], [2.0, 2.0])])
def test_smd_constant_but_different_groups_is_not_zero(a, b) -> None:
    # BUG (reported): a zero pooled SD returns 0.0 even when the means differ, which
    # claims perfect balance for completely separated groups.
    out = sample.standardized_difference(pd.Series(a), pd.Series(b))
    assert math.isnan(out) or out == math.inf


@pytest.mark.parametrize(("a", "b"), [([1.0], [1.0, 2.0]), ([1.0, 2.0], [3.0]),
                                      ([1.0, np.nan], [1.0, 2.0]), ([], [1.0, 2.0])])
def test_smd_needs_two_observations(a, b) -> None:
    with pytest.raises(ValueError, match="at least two"):
        sample.standardized_difference(pd.Series(a, dtype=float), pd.Series(b, dtype=float))


# --- flow_counts -----------------------------------------------------------------------


def _tiny_flow() -> pd.DataFrame:
    t_info = pd.DataFrame({"therapist_id": ["T1", "T2", "T3", "T4"],
                           "arm": ["control", "control", "MCBI", "MCBI"]})
    p_info = pd.DataFrame({"patient_id": ["P1", "P2", "P3", "P4", "P5"],
                           "therapist_id": ["T1", "T2", "T3", "T3", "T1"],
                           "arm": ["control", "control", "MCBI", "MCBI", "control"]})
    # T2 only at follow-up; T4 never assessed
    t_long = pd.DataFrame({"therapist_id": ["T1", "T1", "T2", "T3", "T3", "T3"],
                           "wave": ["pre", "post", "followup", "pre", "post", "followup"]})
    # P2 only at follow-up; P5 never assessed; P9 is not in patient_info and is ignored
    p_long = pd.DataFrame({
        "patient_id": ["P1", "P1", "P2", "P3", "P4", "P4", "P4", "P9"],
        "wave": ["pre", "post", "followup", "pre", "pre", "post", "followup", "pre"]})
    return sample.flow_counts(t_long, p_long, p_info, t_info)


def test_flow_counts_hand_example() -> None:
    counts = _tiny_flow().set_index("arm")
    assert list(counts.index) == list(design.ARMS)
    expected = {
        "control": {"therapists_randomized": 2, "patients_enrolled": 3,
                    "therapists_pre": 1, "patients_pre": 1,
                    "therapists_post": 1, "patients_post": 1,
                    "therapists_followup": 1, "patients_followup": 1,
                    "therapists_analysed": 2, "patients_analysed": 2},
        "MCBI": {"therapists_randomized": 2, "patients_enrolled": 2,
                 "therapists_pre": 1, "patients_pre": 2,
                 "therapists_post": 1, "patients_post": 1,
                 "therapists_followup": 1, "patients_followup": 1,
                 "therapists_analysed": 1, "patients_analysed": 2},
    }
    for arm, cols in expected.items():
        assert {k: int(counts.loc[arm, k]) for k in cols} == cols, arm
    assert set(counts.columns) == set(expected["MCBI"])


def test_flow_counts_on_trial(trial) -> None:
    counts = sample.flow_counts(trial.therapists, trial.patients, trial.patient_info,
                                  trial.therapist_info).set_index("arm")
    assert counts["therapists_randomized"].to_dict() == design.N_BY_ARM
    assert counts["patients_enrolled"].sum() == design.N_PATIENTS
    for arm in design.ARMS:
        t = trial.therapists[trial.therapists["arm"] == arm]
        p = trial.patients[trial.patients["arm"] == arm]
        for wave in design.WAVES:
            assert counts.loc[arm, f"therapists_{wave}"] == (t["wave"] == wave).sum()
            assert counts.loc[arm, f"patients_{wave}"] == (p["wave"] == wave).sum()
        assert counts.loc[arm, "therapists_analysed"] == t["therapist_id"].nunique()
        assert counts.loc[arm, "patients_analysed"] == p["patient_id"].nunique()
        assert counts.loc[arm, "patients_analysed"] <= counts.loc[arm, "patients_enrolled"]


# --- baseline_table --------------------------------------------------------------------


def test_baseline_table_by_hand() -> None:
    info = pd.DataFrame({
        "therapist_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
        "arm": ["control"] * 3 + ["MCBI"] * 3,
        "age": [30, 40, 50, 35, 45, 61],
        "gender": ["female", "female", "male", "female", "male", "male"],
    })
    pre = pd.DataFrame({"therapist_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
                        "pms": [3.0, 3.5, 4.0, 2.0, 3.0, 4.0]})
    table = sample.baseline_table(info, pre, ["age"], ["gender"], ["pms"])
    assert list(table.columns) == ["characteristic", "control", "MCBI", "smd"]
    rows = table.set_index("characteristic")
    assert list(rows.index) == ["age, M (SD)", "gender: female, n (%)", "gender: male, n (%)",
                                "Psychotherapeutic mindfulness skills, M (SD)"]
    # age: control 30, 40, 50 (M 40, var 100); MCBI 35, 45, 61 (M 47, var 172)
    assert rows.loc["age, M (SD)", "control"] == "40.00 (10.00)"
    assert rows.loc["age, M (SD)", "MCBI"] == f"47.00 ({math.sqrt(172):.2f})"
    assert rows.loc["age, M (SD)", "smd"] == pytest.approx(7 / math.sqrt((172 + 100) / 2))
    # female: control 2/3, MCBI 1/3; population variances 2/9 each
    assert rows.loc["gender: female, n (%)", "control"] == "2 (67%)"
    assert rows.loc["gender: female, n (%)", "MCBI"] == "1 (33%)"
    assert rows.loc["gender: female, n (%)", "smd"] == pytest.approx(-1 / math.sqrt(2))
    assert rows.loc["gender: male, n (%)", "smd"] == pytest.approx(1 / math.sqrt(2))
    # PMS: control 3, 3.5, 4 (M 3.5, SD 0.5); MCBI 2, 3, 4 (M 3, SD 1)
    pms = "Psychotherapeutic mindfulness skills, M (SD)"
    assert rows.loc[pms, "control"] == "3.50 (0.50)"
    assert rows.loc[pms, "MCBI"] == "3.00 (1.00)"
    assert rows.loc[pms, "smd"] == pytest.approx(-0.5 / math.sqrt((1 + 0.25) / 2))


