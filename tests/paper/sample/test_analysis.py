"""mcbi.paper.sample.analysis: standardized differences, participant flow, baseline tables."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.sample import analysis as sample
from mcbi.synth.parameters import param
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
    assert set(counts.columns) == set(expected["MCBI"]) | {"therapists_without_patients"}
    # T2 (control) and T4 (MCBI) have no patient
    assert counts["therapists_without_patients"].to_dict() == {"control": 0, "MCBI": 1}


def test_flow_counts_on_trial(trial) -> None:
    counts = sample.flow_counts(trial.therapists, trial.patients, trial.patient_info,
                                  trial.therapist_info).set_index("arm")
    assert counts["therapists_randomized"].to_dict() == {"MCBI": param("n_mcbi"),
                                                        "control": param("n_control")}
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


def test_flow_counts_take_waves_from_the_data() -> None:
    t_info = pd.DataFrame({"therapist_id": ["T1", "T2"], "arm": ["control", "MCBI"]})
    p_info = pd.DataFrame({"patient_id": ["P1"], "therapist_id": ["T2"], "arm": ["MCBI"]})
    t_long = pd.DataFrame({"therapist_id": ["T1", "T1", "T2"], "wave": ["pre", "post", "pre"]})
    p_long = pd.DataFrame({"patient_id": ["P1"], "wave": ["pre"]})
    counts = sample.flow_counts(t_long, p_long, p_info, t_info)
    assert "therapists_followup" not in counts and "therapists_post" in counts
    assert sample.flow_waves(counts) == ("pre", "post")
    assert counts.set_index("arm").loc["control", "therapists_without_patients"] == 1
    explicit = sample.flow_counts(t_long, p_long, p_info, t_info, waves=("pre",))
    assert sample.flow_waves(explicit) == ("pre",)


def test_flow_table_rows_and_losses() -> None:
    table = sample.flow_table(_tiny_flow(), {"MCBI": "MCBI", "control": "Control"})
    assert list(table.columns) == ["Stage", "MCBI: therapists", "Control: therapists",
                                   "MCBI: patients", "Control: patients"]
    rows = table.set_index("Stage")
    assert rows.loc["Assessed at follow-up", "Control: patients"] == "1"
    assert rows.loc["Not assessed at follow-up", "Control: patients"] == "2"  # 3 - 1
    assert rows.loc["Not analysed (no assessment)", "MCBI: therapists"] == "1"  # T4
    assert rows.loc["Therapists without participating patients", "MCBI: patients"] == ""


def test_flow_table_suppresses_all_but_allocation() -> None:
    table = sample.flow_table(_tiny_flow(), {}, min_cell=5).set_index("Stage")
    allocated = table.iloc[0]
    assert allocated.tolist() == ["2", "2", "2", "3"]  # design figures: shown
    assert table.loc["Assessed at pre", "MCBI: therapists"] == "< 5"
    assert table.loc["Not assessed at pre", "MCBI: patients"] == "0"


def test_cluster_and_retention_sentences() -> None:
    sizes = pd.Series([0, 1, 1, 3, 4])
    assert sample.cluster_sentence(sizes) == (
        "between 0 and 4 patients per therapist; 1 therapist took part without a "
        "participating patient and 2 therapists took part with a single patient")
    assert sample.cluster_sentence(sizes, min_cell=5).endswith(
        "fewer than 5 therapists took part with a single patient")
    assert sample.cluster_sentence(pd.Series([1, 1])) == "1 patient per therapist"
    counts = _tiny_flow()
    text = sample.retention_sentence(counts)
    assert "50% of the therapists and 40% of the patients at post" in text  # 2/4, 2/5
    no_fu = counts.drop(columns=["therapists_followup", "patients_followup"])
    assert sample.retention_sentence(no_fu).endswith(
        "The data hold no follow-up assessments (not yet collected, or not supplied).")


def test_cluster_sizes_count_therapists_without_patients() -> None:
    t_info = pd.DataFrame({"therapist_id": ["T1", "T2", "T3"]})
    p_info = pd.DataFrame({"patient_id": ["P1", "P2"], "therapist_id": ["T1", "T1"]})
    assert sample.cluster_sizes(p_info).tolist() == [2]
    assert sample.cluster_sizes(p_info, t_info).tolist() == [2, 0, 0]


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
    assert list(rows.index) == ["n", "age, M (SD)", "gender: female, n (%)", "gender: male, n (%)",
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




def test_baseline_table_small_groups_and_suppression() -> None:
    info = pd.DataFrame({"therapist_id": ["T1", "T2", "T3", "T4", "T5", "T6", "T7"],
                         "arm": ["control"] + ["MCBI"] * 6,
                         "age": [30, 40, 50, 35, 45, 61, 33],
                         "gender": ["female", "female", "male", "female", "male", "male",
                                    "male"]})
    pre = pd.DataFrame({"therapist_id": info["therapist_id"], "pms": [3.0] * 7})
    rows = sample.baseline_table(info, pre, ["age"], ["gender"], ["pms"]).set_index(
        "characteristic")
    assert rows.loc["age, M (SD)", "control"] == "30.00 (—)"  # one therapist: no SD
    assert math.isnan(rows.loc["age, M (SD)", "smd"])  # no crash, no number
    hidden = sample.baseline_table(info, pre, ["age"], ["gender"], ["pms"],
                                   min_cell=5).set_index("characteristic")
    assert hidden.loc["n", "control"] == "1"  # allocation is shown
    assert hidden.loc["age, M (SD)", "control"] == "(n < 5)"
    assert hidden.loc["gender: male, n (%)", "MCBI"] == "< 5"
    assert hidden.loc["gender: female, n (%)", "control"] == "< 5"
    assert math.isnan(hidden.loc["gender: male, n (%)", "smd"])
    # MCBI ages 40, 50, 35, 45, 61, 33: M 264 / 6 = 44, SD sqrt(544 / 5) = 10.43
    assert hidden.loc["age, M (SD)", "MCBI"] == "44.00 (10.43)"
    assert sample.max_abs_smd(hidden) is None


def test_baseline_tables_on_trial(trial) -> None:
    base = sample.therapist_baseline(trial)
    assert base.iloc[0].tolist()[:3] == ["n", "30", "33"]
    assert 0 < sample.max_abs_smd(base) < 1


def test_scoring_summary_by_hand() -> None:
    from mcbi.trial.instruments import PMS
    items = {f"pms_{i:02d}": [3.0, 3.0, 3.0] for i in range(1, 11)}
    frame = pd.DataFrame(items)
    frame.loc[1, ["pms_01", "pms_02"]] = np.nan  # 8 of 10: prorated
    frame.loc[2, ["pms_01", "pms_02", "pms_03"]] = np.nan  # 7 of 10: missing
    out = sample.scoring_summary(frame, (PMS,))
    assert out["n"] == 3
    assert out["complete_pct"] == pytest.approx(100 / 3)
    assert out["prorated_pct"] == pytest.approx(100 / 3)
    assert out["missing_pct"] == pytest.approx(100 / 3)
    empty = sample.scoring_summary(frame.iloc[:0], (PMS,))
    assert empty["n"] == 0 and empty["complete_pct"] is None


def _rel_rows() -> pd.DataFrame:
    base = {"instrument": "x", "respondent": "therapists", "n_respondents": 40,
            "n_complete": 35, "omega": 0.8}
    return pd.DataFrame([
        {**base, "scale": "a", "label": "Scale A", "wave": "pre", "n_items": 5,
         "n_pairwise_min": 38, "alpha": 0.81, "small_n": False, "note": ""},
        {**base, "scale": "a", "label": "Scale A", "wave": "post", "n_items": 5,
         "n_pairwise_min": 12, "alpha": 0.7, "small_n": True,
         "note": "smoothed: the pairwise covariance matrix was not positive definite"},
        {**base, "scale": "b", "label": "Scale B", "wave": "pre", "n_items": 2,
         "n_pairwise_min": 2, "n_complete": 2, "alpha": np.nan, "omega": np.nan,
         "small_n": False,
         "note": "not estimable: fewer than 3 respondents answered every pair of items"},
    ])


def test_reliability_display_flags_and_waves_present() -> None:
    table, note = sample.reliability_display(_rel_rows(), "therapists", min_cell=5, min_n=30)
    assert list(table.columns) == ["Scale", "Items", "α pre", "ω pre", "n pre", "α post",
                                   "ω post", "n post"]  # no follow-up in the data
    rows = table.set_index("Scale")
    assert rows.loc["Scale A", "α pre"] == ".81" and rows.loc["Scale A", "n pre"] == "38 (35)"
    assert rows.loc["Scale A", "α post"] == ".70ᵃᵇ"
    assert rows.loc["Scale B", "α pre"] == "—ᶜ" and rows.loc["Scale B", "ω pre"] == "—"
    assert rows.loc["Scale B", "n pre"] == "< 5 (< 5)"
    assert rows.loc["Scale B", "α post"] == "—"  # no row at that wave
    assert note == ("ᵃ Rests on fewer than 30 respondents: imprecise. ᵇ Smoothed: the "
                    "pairwise covariance matrix was not positive definite. ᶜ Not estimable: "
                    "fewer than 3 respondents answered every pair of items.")
    with pytest.raises(ValueError, match="no reliability rows"):
        sample.reliability_display(_rel_rows(), "patients")


def test_reliability_sentence() -> None:
    text = sample.reliability_sentence(_rel_rows(), min_n=30)
    assert text == ("Across the scales of three or more items, α ranges from .70 to .81; "
                    "1 of the 3 scale-by-wave estimates rest on fewer than 30 respondents, "
                    "1 could not be estimated, 1 come from a smoothed covariance matrix.")
    none = _rel_rows().iloc[2:]
    assert "could not be estimated for any scale" in sample.reliability_sentence(none)


def test_scoring_values_on_trial(trial) -> None:
    values = sample.scoring_values(trial)
    assert values["min_answered_pct"] == pytest.approx(80.0) and values["min_items_10"] == 8
    assert values["min_items_2"] == 2
    assert sample.reliability_settings(25) == {"rel_min_n": 25, "rel_min_responses": 3}
    for who in ("t", "p"):
        parts = [values[f"{who}_{k}"] for k in ("complete_pct", "prorated_pct", "missing_pct")]
        assert sum(parts) == pytest.approx(100.0)
        assert values[f"{who}_n"] > 0
