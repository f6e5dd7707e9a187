"""mcbi.paper.analysis: sample tables, the outcome models' contrasts, and the published findings."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from _datafixtures import DATA
from mcbi.paper import analysis
from mcbi.paper.report import fmt_estimate_ci, fmt_num, fmt_p
from mcbi.stats.lmm import holm
from mcbi.trial import design
from mcbi.trial.data import TrialData, load

# --- standardized_difference -----------------------------------------------------------


def test_smd_continuous_pooled_sample_variances() -> None:
    a = pd.Series([1.0, 2.0, 3.0, 4.0])  # mean 2.5, var (ddof=1) = 5 / 3
    b = pd.Series([2.0, 4.0, 6.0])  # mean 4, var (ddof=1) = 8 / 2 = 4
    expected = (2.5 - 4.0) / math.sqrt((5 / 3 + 4.0) / 2)
    assert analysis.standardized_difference(a, b) == pytest.approx(expected, rel=1e-12)
    assert analysis.standardized_difference(b, a) == pytest.approx(-expected, rel=1e-12)


def test_smd_drops_missing() -> None:
    a = pd.Series([1.0, np.nan, 2.0, 3.0, 4.0])
    b = pd.Series([2.0, 4.0, np.nan, 6.0])
    expected = (2.5 - 4.0) / math.sqrt((5 / 3 + 4.0) / 2)
    assert analysis.standardized_difference(a, b) == pytest.approx(expected, rel=1e-12)


def test_smd_binary_population_variances() -> None:
    a = pd.Series([1, 1, 0, 0])  # p = .5, p(1 - p) = .25
    b = pd.Series([1, 0, 0, 0])  # p = .25, p(1 - p) = .1875
    expected = (0.5 - 0.25) / math.sqrt((0.25 + 0.1875) / 2)
    assert analysis.standardized_difference(a, b) == pytest.approx(expected, rel=1e-12)
    # booleans are indicators too
    assert analysis.standardized_difference(a.astype(bool), b.astype(bool)) == pytest.approx(
        expected, rel=1e-12)


def test_smd_identical_constant_groups_is_zero() -> None:
    assert analysis.standardized_difference(pd.Series([2.0, 2.0]), pd.Series([2.0, 2.0])) == 0.0


@pytest.mark.parametrize(("a", "b"), [([1.0, 1.0], [0.0, 0.0]), ([3.0, 3.0, 3.0], [2.0, 2.0])])
def test_smd_constant_but_different_groups_is_not_zero(a, b) -> None:
    # BUG (reported): a zero pooled SD returns 0.0 even when the means differ, which
    # claims perfect balance for completely separated groups.
    out = analysis.standardized_difference(pd.Series(a), pd.Series(b))
    assert math.isnan(out) or out == math.inf


@pytest.mark.parametrize(("a", "b"), [([1.0], [1.0, 2.0]), ([1.0, 2.0], [3.0]),
                                      ([1.0, np.nan], [1.0, 2.0]), ([], [1.0, 2.0])])
def test_smd_needs_two_observations(a, b) -> None:
    with pytest.raises(ValueError, match="at least two"):
        analysis.standardized_difference(pd.Series(a, dtype=float), pd.Series(b, dtype=float))


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
    return analysis.flow_counts(t_long, p_long, p_info, t_info)


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


@pytest.fixture(scope="module")
def trial() -> TrialData:
    return load(DATA)


def test_flow_counts_on_trial(trial) -> None:
    counts = analysis.flow_counts(trial.therapists, trial.patients, trial.patient_info,
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
    table = analysis.baseline_table(info, pre, ["age"], ["gender"], ["pms"])
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


# --- analyse_outcomes on the committed data --------------------------------------------


@pytest.fixture(scope="module")
def pms_only(trial) -> analysis.OutcomeAnalysis:
    return analysis.analyse_outcomes(trial.therapists, {"skills": ("pms",)},
                                     design.THERAPIST_ID)


@pytest.fixture(scope="module")
def two_in_family(trial) -> analysis.OutcomeAnalysis:
    return analysis.analyse_outcomes(trial.therapists, {"fam": ("pms", "eus_t")},
                                     design.THERAPIST_ID)


@pytest.fixture(scope="module")
def two_families(trial) -> analysis.OutcomeAnalysis:
    return analysis.analyse_outcomes(trial.therapists, {"f1": ("pms",), "f2": ("eus_t",)},
                                     design.THERAPIST_ID)


def test_analyse_outcomes_shape(pms_only) -> None:
    con = pms_only.contrasts
    # per non-baseline wave: within control, within MCBI, between
    assert len(con) == 2 * 3
    assert set(con["family"]) == {"skills"} and set(con["outcome"]) == {"pms"}
    assert set(con["time"]) == {"post", "followup"}
    assert set(con.loc[con["contrast"] == "within", "group"]) == set(design.ARMS)
    assert set(con.loc[con["contrast"] == "between", "group"]) == {"MCBI - control"}
    assert set(con["label"]) == {"Psychotherapeutic mindfulness skills"}
    assert len(pms_only.means) == len(design.ARMS) * len(design.WAVES)
    assert set(pms_only.variance["outcome"]) == {"pms"}
    assert {"icc", "nobs"} <= set(pms_only.variance.columns)
    # the model's observation count is the sum of the observed cells of the means table
    assert (pms_only.variance["nobs"] == pms_only.means["n"].sum()).all()


def test_holm_single_outcome_family_is_unadjusted(pms_only) -> None:
    con = pms_only.contrasts
    np.testing.assert_allclose(con["p_holm"], con["pvalue"], rtol=1e-12)


def test_holm_within_family_contrast_group_time(two_in_family) -> None:
    con = two_in_family.contrasts
    assert (con["p_holm"] >= con["pvalue"] - 1e-15).all()
    assert (con["p_holm"] <= 1).all()
    n_groups = 0
    for _, sub in con.groupby(["contrast", "group", "time"]):
        assert sorted(sub["outcome"]) == ["eus_t", "pms"]
        np.testing.assert_allclose(sub["p_holm"].to_numpy(), holm(sub["pvalue"].to_numpy()),
                                   rtol=1e-12)
        n_groups += 1
    assert n_groups == 6


def test_holm_not_across_families(two_in_family, two_families) -> None:
    sep = two_families.contrasts
    np.testing.assert_allclose(sep["p_holm"], sep["pvalue"], rtol=1e-12)
    # same fits, so the same unadjusted p-values in both runs
    key = ["outcome", "contrast", "group", "time"]
    merged = sep.merge(two_in_family.contrasts, on=key, suffixes=("_sep", "_fam"))
    assert len(merged) == 12
    np.testing.assert_allclose(merged["pvalue_sep"], merged["pvalue_fam"], rtol=1e-12)
    # with two p-values the smaller is doubled (capped at 1) in the joint family
    for _, sub in merged.groupby(["contrast", "group", "time"]):
        p = sub["pvalue_fam"].to_numpy()
        i = int(np.argmin(p))
        assert sub["p_holm_fam"].to_numpy()[i] == pytest.approx(min(1.0, 2 * p[i]))


def test_between_and_within_selection(pms_only) -> None:
    con = pms_only.contrasts
    b = analysis.between(con, "pms", "post")
    assert (b["contrast"], b["group"], b["time"]) == ("between", "MCBI - control", "post")
    w = analysis.within(con, "pms", "followup")
    assert (w["contrast"], w["group"], w["time"]) == ("within", "MCBI", "followup")
    wc = analysis.within(con, "pms", "post", arm="control")
    assert wc["group"] == "control"
    # the between estimate is the difference of the within changes (linear contrasts)
    wm = analysis.within(con, "pms", "post")
    assert b["estimate"] == pytest.approx(wm["estimate"] - wc["estimate"], rel=1e-9)


@pytest.mark.parametrize(("outcome", "wave"), [("pms", "pre"), ("teca", "post"),
                                               ("pms", "fu")])
def test_between_within_absent(pms_only, outcome, wave) -> None:
    with pytest.raises(ValueError, match="no unique"):
        analysis.between(pms_only.contrasts, outcome, wave)
    with pytest.raises(ValueError, match="no unique"):
        analysis.within(pms_only.contrasts, outcome, wave)


def test_within_unknown_arm(pms_only) -> None:
    with pytest.raises(ValueError, match="no unique"):
        analysis.within(pms_only.contrasts, "pms", "post", arm="waitlist")


def test_between_duplicate_rows_rejected(pms_only) -> None:
    doubled = pd.concat([pms_only.contrasts, pms_only.contrasts], ignore_index=True)
    with pytest.raises(ValueError, match="no unique"):
        analysis.between(doubled, "pms", "post")


def test_contrast_values_keys_and_values(two_in_family) -> None:
    con = two_in_family.contrasts
    values = analysis.contrast_values(con)
    expected = set()
    for outcome in ("pms", "eus_t"):
        for wave in ("post", "fu"):
            stem = f"{outcome}_{wave}_diff"
            expected |= {stem} | {f"{stem}_{s}" for s in ("lo", "hi", "d", "p", "pholm")}
            for arm in ("mcbi", "control"):
                expected |= {f"{outcome}_{wave}_{arm}_change", f"{outcome}_{wave}_{arm}_change_p"}
    assert set(values) == expected
    b = analysis.between(con, "pms", "post")
    assert values["pms_post_diff"] == b["estimate"]
    assert values["pms_post_diff_lo"] == b["ci_lower"]
    assert values["pms_post_diff_hi"] == b["ci_upper"]
    assert values["pms_post_diff_d"] == b["d"]
    assert values["pms_post_diff_p"] == b["pvalue"]
    assert values["pms_post_diff_pholm"] == b["p_holm"]
    w = analysis.within(con, "eus_t", "followup")
    assert values["eus_t_fu_mcbi_change"] == w["estimate"]
    assert values["eus_t_fu_mcbi_change_p"] == w["pvalue"]
    wc = analysis.within(con, "pms", "followup", arm="control")
    assert values["pms_fu_control_change"] == wc["estimate"]


def test_contrast_texts(two_in_family) -> None:
    con = two_in_family.contrasts
    texts = analysis.contrast_texts(con)
    assert set(texts) == {"pms_post_papa", "pms_fu_papa", "eus_t_post_papa", "eus_t_fu_papa"}
    for outcome, wave, short in (("pms", "post", "post"), ("eus_t", "followup", "fu")):
        text = texts[f"{outcome}_{short}_papa"]
        assert text == fmt_p(analysis.between(con, outcome, wave)["pvalue"])
        assert re.fullmatch(r"< \.001|= \.\d{3}|= 1\.000", text)


def test_contrast_summary(two_in_family) -> None:
    con = two_in_family.contrasts
    summary = analysis.contrast_summary(con)
    assert len(summary) == 2 * 2  # outcomes x waves
    assert list(summary.columns) == ["Family", "Outcome", "Wave", "Δ control", "Δ MCBI",
                                     "Difference [95% CI]", "d [95% CI]", "p (Holm)"]
    assert list(summary["Wave"]) == ["post", "follow-up"] * 2
    assert list(summary["Outcome"].iloc[::2]) == ["Psychotherapeutic mindfulness skills",
                                                  "EUS-T empathic understanding"]
    row = summary.iloc[3]  # eus_t at follow-up
    b = analysis.between(con, "eus_t", "followup")
    assert row["Difference [95% CI]"] == fmt_estimate_ci(b["estimate"], b["ci_lower"],
                                                         b["ci_upper"])
    assert row["d [95% CI]"] == fmt_estimate_ci(b["d"], b["d_ci_lower"], b["d_ci_upper"])
    assert row["Δ MCBI"] == fmt_num(analysis.within(con, "eus_t", "followup")["estimate"])
    assert row["Δ control"] == fmt_num(
        analysis.within(con, "eus_t", "followup", "control")["estimate"])
    assert row["p (Holm)"] == fmt_p(b["p_holm"]).removeprefix("= ")
    assert not summary["p (Holm)"].str.startswith("=").any()


# --- published_comparison on hand-made contrast tables ---------------------------------


def _table(spec: dict[tuple[str, str], dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """A contrasts-like table: ``{(outcome, wave): {"between"|"MCBI"|"control": (est, p)}}``."""
    rows = []
    for (outcome, wave), parts in spec.items():
        for key, (est, p) in parts.items():
            contrast = "between" if key == "between" else "within"
            group = "MCBI - control" if key == "between" else key
            rows.append({"outcome": outcome, "contrast": contrast, "group": group,
                         "time": wave, "estimate": est, "pvalue": p})
    return pd.DataFrame(rows)


def _compare(monkeypatch, outcome: str, wave: str, kind: str, parts: dict,
             alpha: float = 0.05) -> pd.Series:
    """Run published_comparison with one published row (a patient outcome)."""
    monkeypatch.setattr(analysis, "PUBLISHED",
                        (("patients", "label", outcome, wave, kind),))
    empty = _table({})
    out = analysis.published_comparison(empty, _table({(outcome, wave): parts}), alpha)
    assert len(out) == 1
    return out.iloc[0]


@pytest.mark.parametrize(("outcome", "est", "p", "text", "agrees"), [
    ("bond", 0.5, 0.001, "MCBI > control", True),
    ("bond", -0.5, 0.001, "MCBI < control", False),
    ("bond", 0.5, 0.40, "no clear difference", False),
    ("bond", -0.5, 0.40, "no clear difference", False),
    # lower is better: a negative difference is the better direction
    ("bsi_som", -0.5, 0.001, "MCBI > control", True),
    ("bsi_som", 0.5, 0.001, "MCBI < control", False),
    ("bsi_som", -0.5, 0.40, "no clear difference", False),
])
def test_published_better(monkeypatch, outcome, est, p, text, agrees) -> None:
    row = _compare(monkeypatch, outcome, "post", "MCBI > control", {"between": (est, p)})
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees
    assert row["estimate"] == est and row["pvalue"] == p
    assert row["published"] == "MCBI > control" and row["scale"] == outcome


@pytest.mark.parametrize("kind", ["no clear difference", "not reported as maintained"])
@pytest.mark.parametrize(("est", "p", "text", "agrees"), [
    (0.5, 0.40, "no clear difference", True),
    (-0.5, 0.40, "no clear difference", True),
    (0.5, 0.001, "MCBI > control", False),
    (-0.5, 0.001, "MCBI < control", False),
])
def test_published_no_difference(monkeypatch, kind, est, p, text, agrees) -> None:
    row = _compare(monkeypatch, "eus_p", "followup", kind, {"between": (est, p)})
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees


@pytest.mark.parametrize(("outcome", "mcbi", "text", "agrees"), [
    ("bsi_dep", (-2.0, 0.001), "improved (MCBI)", True),   # lower is better
    ("bsi_dep", (2.0, 0.001), "no clear change (MCBI)", False),
    ("bsi_dep", (-2.0, 0.40), "no clear change (MCBI)", False),
    ("phi", (1.0, 0.001), "improved (MCBI)", True),        # higher is better
    ("phi", (-1.0, 0.001), "no clear change (MCBI)", False),
])
def test_published_improved(monkeypatch, outcome, mcbi, text, agrees) -> None:
    # the control arm always improves clearly: only the MCBI arm may count
    sign = -1.0 if outcome in analysis.LOWER_IS_BETTER else 1.0
    control = (sign * 3.0, 0.0001)
    row = _compare(monkeypatch, outcome, "post", "improved (MCBI)",
                   {"MCBI": mcbi, "control": control, "between": (0.0, 1.0)})
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees
    assert row["estimate"] == mcbi[0] and row["pvalue"] == mcbi[1]


@pytest.mark.parametrize(("kind", "mcbi", "text", "agrees"), [
    ("maintained", (-2.0, 0.001), "maintained", True),
    ("maintained", (-2.0, 0.30), "not maintained", False),
    ("maintained", (2.0, 0.001), "not maintained", False),
    ("not maintained", (-2.0, 0.30), "not maintained", True),
    ("not maintained", (2.0, 0.001), "not maintained", True),
    ("not maintained", (-2.0, 0.001), "maintained", False),
])
def test_published_maintained(monkeypatch, kind, mcbi, text, agrees) -> None:
    row = _compare(monkeypatch, "bsi_anx", "followup", kind,
                   {"MCBI": mcbi, "control": (-3.0, 0.0001), "between": (0.0, 1.0)})
    assert row["this_build"] == text
    assert bool(row["agrees"]) is agrees
    assert row["estimate"] == mcbi[0]


def test_published_alpha_is_strict_and_configurable(monkeypatch) -> None:
    at = _compare(monkeypatch, "bond", "post", "MCBI > control", {"between": (0.5, 0.05)})
    assert at["this_build"] == "no clear difference" and not at["agrees"]
    loose = _compare(monkeypatch, "bond", "post", "MCBI > control", {"between": (0.5, 0.05)},
                     alpha=0.10)
    assert loose["this_build"] == "MCBI > control" and loose["agrees"]


def test_published_comparison_all_rows_agree() -> None:
    """Tables built to match every published finding; therapist rows read the therapist table."""
    t_spec, p_spec = {}, {}
    for who, _label, outcome, wave, kind in analysis.PUBLISHED:
        sign = -1.0 if outcome in analysis.LOWER_IS_BETTER else 1.0
        parts = {
            "MCBI > control": {"between": (0.5, 0.001)},
            "no clear difference": {"between": (0.1, 0.5)},
            "not reported as maintained": {"between": (0.1, 0.5)},
            "improved (MCBI)": {"MCBI": (sign * 1.0, 0.001)},
            "maintained": {"MCBI": (sign * 1.0, 0.001)},
            "not maintained": {"MCBI": (sign * 0.2, 0.4)},
        }[kind]
        (t_spec if who == "therapists" else p_spec)[(outcome, wave)] = parts
    out = analysis.published_comparison(_table(t_spec), _table(p_spec))
    assert len(out) == len(analysis.PUBLISHED)
    assert list(out.columns) == ["who", "outcome", "scale", "wave", "published", "this_build",
                                 "estimate", "pvalue", "agrees"]
    assert out["agrees"].all()
    assert (out["this_build"] == out["published"].replace(
        {"not reported as maintained": "no clear difference"})).all()
    # and flipping every estimate turns every directional finding into a disagreement
    flip = {k: {g: (-e, p) for g, (e, p) in v.items()} for k, v in p_spec.items()}
    flipped = analysis.published_comparison(_table(t_spec), _table(flip))
    pat = flipped[flipped["who"] == "patients"]
    directional = pat["published"].isin(["MCBI > control", "improved (MCBI)", "maintained"])
    assert not pat.loc[directional, "agrees"].any()
    assert pat.loc[~directional, "agrees"].all()
