"""mcbi.paper.outcomes.models: the outcome models, their contrasts and Holm within each family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.outcomes import families as outcomes
from mcbi.paper.outcomes import models
from mcbi.stats.lmm import holm
from mcbi.trial import design

# --- analyse_outcomes on the committed data --------------------------------------------


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
    assert (con["status"] == models.OK).all() and (con["note"] == "").all()
    # the model's observation count is the sum of the observed cells of the means table
    assert pms_only.fits["nobs"].iloc[0] == pms_only.means["n"].sum()
    assert list(pms_only.icc["time"]) == list(design.WAVES)
    assert pms_only.waves == ["post", "followup"]


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
    b = models.between(con, "pms", "post")
    assert (b["contrast"], b["group"], b["time"]) == ("between", "MCBI - control", "post")
    w = models.within(con, "pms", "followup")
    assert (w["contrast"], w["group"], w["time"]) == ("within", "MCBI", "followup")
    wc = models.within(con, "pms", "post", arm="control")
    assert wc["group"] == "control"
    # the between estimate is the difference of the within changes (linear contrasts)
    wm = models.within(con, "pms", "post")
    assert b["estimate"] == pytest.approx(wm["estimate"] - wc["estimate"], rel=1e-9)


@pytest.mark.parametrize(("outcome", "wave"), [("pms", "pre"), ("teca", "post"),
                                               ("pms", "fu")])
def test_between_within_absent(pms_only, outcome, wave) -> None:
    with pytest.raises(ValueError, match="no unique"):
        models.between(pms_only.contrasts, outcome, wave)
    with pytest.raises(ValueError, match="no unique"):
        models.within(pms_only.contrasts, outcome, wave)


def test_within_unknown_arm(pms_only) -> None:
    with pytest.raises(ValueError, match="no unique"):
        models.within(pms_only.contrasts, "pms", "post", arm="waitlist")


def test_between_duplicate_rows_rejected(pms_only) -> None:
    doubled = pd.concat([pms_only.contrasts, pms_only.contrasts], ignore_index=True)
    with pytest.raises(ValueError, match="no unique"):
        models.between(doubled, "pms", "post")




# --- the trial's two analyses: which families, which levels ------------------------------


def test_analyse_therapists_and_patients_wiring(monkeypatch, trial) -> None:
    calls = []

    def record(long, families, subject, cluster=None, alpha=0.05, cluster_time=False):
        calls.append((long, families, subject, cluster, alpha, cluster_time))
        return "fit"

    monkeypatch.setattr(models, "analyse_outcomes", record)
    assert models.analyse_therapists(trial, alpha=0.1) == "fit"
    assert models.analyse_patients(trial, alpha=0.01) == "fit"
    models.analyse_patients(trial, cluster_time=False)
    (t_long, t_fam, t_sub, t_cl, t_a, t_ct), (p_long, p_fam, p_sub, p_cl, p_a, p_ct), last = calls
    assert t_long is trial.therapists and t_fam is outcomes.THERAPIST_FAMILIES
    assert (t_sub, t_cl, t_a, t_ct) == (design.THERAPIST_ID, None, 0.1, False)
    assert p_long is trial.patients and p_fam is outcomes.PATIENT_FAMILIES
    assert (p_sub, p_cl, p_a, p_ct) == (design.PATIENT_ID, design.THERAPIST_ID, 0.01, "by_time")
    assert last[5] is False


# --- variance_table --------------------------------------------------------------------


def test_variance_table_by_hand() -> None:
    variance = pd.DataFrame({
        "outcome": ["b", "b", "a", "a", "a"],
        "component": ["subject", "residual", "subject", "cluster", "residual"],
        "variance": [2.0, 1.0, 4.0, 0.5, 3.0],
    })
    icc = pd.DataFrame({"outcome": ["b", "b", "a", "a"], "time": ["pre", "post"] * 2,
                        "icc": [0.6, 0.6, 0.1, 0.2]})
    wide = models.variance_table(variance, icc)
    assert list(wide.index) == ["b", "a"]  # input order, not alphabetical
    assert list(wide.columns) == ["subject", "residual", "cluster", "icc_pre", "icc_post"]
    assert wide.loc["a", "subject"] == 4.0 and wide.loc["b", "residual"] == 1.0
    assert np.isnan(wide.loc["b", "cluster"])  # not in b's model
    assert wide.loc["a", "icc_post"] == 0.2 and wide.loc["b", "icc_pre"] == 0.6
    assert list(models.variance_table(variance).columns) == ["subject", "residual", "cluster"]


def test_variance_table_of_a_fit(pms_only) -> None:
    wide = models.variance_table(pms_only.variance, pms_only.icc)
    assert list(wide.index) == ["pms"]
    assert list(wide.columns) == [*pms_only.variance["component"].unique(),
                                  *(f"icc_{w}" for w in design.WAVES)]
    vc = pms_only.variance.set_index("component")["variance"]
    assert wide.loc["pms", "icc_post"] == pytest.approx(vc["subject"] / vc.sum())


# --- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "key"), [("by_time", "by_time"), (True, "common"),
                                            ("common", "common"), (False, "none"),
                                            ("None", "none"), ("False", "none")])
def test_check_parameters_accepts(value, key) -> None:
    assert models.check_parameters(0.1, value) == (0.1, key)


@pytest.mark.parametrize(("alpha", "by_wave", "name"), [
    ("0.05", "by_time", "alpha"), (0.0, "by_time", "alpha"), (1.0, "by_time", "alpha"),
    (True, "by_time", "alpha"), (0.05, "foo", "therapist_by_wave"),
    (0.05, 2, "therapist_by_wave")])
def test_check_parameters_names_the_notebook_parameter(alpha, by_wave, name) -> None:
    with pytest.raises(ValueError, match=f"notebook parameter {name} must"):
        models.check_parameters(alpha, by_wave)


def test_analyse_outcomes_rejects_unknown_cluster_time(trial) -> None:
    with pytest.raises(ValueError, match="therapist_by_wave"):
        models.analyse_outcomes(trial.patients, {"f": ("eus_p",)}, design.PATIENT_ID,
                                design.THERAPIST_ID, cluster_time="foo")


# --- unusual data: results, not crashes ------------------------------------------------


def test_wave_not_collected_gives_not_available_rows(trial) -> None:
    long = trial.therapists[trial.therapists[design.WAVE] != "followup"]
    fit = models.analyse_outcomes(long, {"skills": ("pms",)}, design.THERAPIST_ID)
    con = fit.contrasts
    fu = con[con["time"] == "followup"]
    assert len(fu) == 3 and (fu["status"] == models.NOT_AVAILABLE).all()
    assert fu["estimate"].isna().all() and fu["p_holm"].isna().all()
    assert (fu["note"] == "follow-up not collected").all()
    assert (con.loc[con["time"] == "post", "status"] == models.OK).all()
    assert fit.waves == ["post"] and fit.fits["waves"].iloc[0] == "pre, post"


def test_wave_in_one_arm_only(trial) -> None:
    long = trial.therapists.copy()
    gone = (long[design.WAVE] == "followup") & (long[design.ARM] == design.CONTROL)
    long.loc[gone, "pms"] = np.nan
    fit = models.analyse_outcomes(long, {"skills": ("pms",)}, design.THERAPIST_ID)
    fu = fit.contrasts[fit.contrasts["time"] == "followup"]
    assert (fu["note"] == "follow-up observed in one arm only").all()


def test_unfittable_outcome_is_a_flagged_row(trial) -> None:
    long = trial.therapists.copy()
    long.loc[long[design.WAVE] != "pre", "eus_t"] = np.nan
    fit = models.analyse_outcomes(long, {"fam": ("pms", "eus_t")}, design.THERAPIST_ID)
    bad = fit.contrasts[fit.contrasts["outcome"] == "eus_t"]
    assert bad["estimate"].isna().all()
    row = fit.fits.set_index("outcome").loc["eus_t"]
    assert not row["estimable"] and row["note"]
    # Holm runs over the estimable outcomes only: pms alone is unadjusted
    good = fit.contrasts[fit.contrasts["outcome"] == "pms"]
    np.testing.assert_allclose(good["p_holm"], good["pvalue"], rtol=1e-12)
    assert models.fit_counts(fit.fits) == {"n_models": 2, "n_estimable": 1, "n_singular": 0,
                                           "n_fallback": 0, "n_not_estimable": 1}
    assert set(fit.means["outcome"]) == {"pms"}


def test_one_patient_per_therapist_steps_down_the_ladder(trial) -> None:
    long = trial.patients
    first = long.groupby(design.THERAPIST_ID, observed=True)[design.PATIENT_ID].transform("min")
    one = long[long[design.PATIENT_ID] == first]
    fit = models.analyse_outcomes(one, {"f": ("eus_p",)}, design.PATIENT_ID,
                                  design.THERAPIST_ID, cluster_time="by_time")
    row = fit.fits.iloc[0]
    assert row["structure"] == models.LADDER[-1].text != row["requested"]
    assert "no therapist has two patients" in row["fallback"]
    assert (fit.contrasts["status"] == models.OK).all()
    assert models.fit_counts(fit.fits)["n_fallback"] == 1
    assert fit.icc["icc"].isna().all()  # no therapist level: no therapist share


def test_singular_fit_is_flagged(trial) -> None:
    fit = models.analyse_outcomes(trial.patients, {"f": ("eus_p",)}, design.PATIENT_ID,
                                  design.THERAPIST_ID, cluster_time="by_time")
    zero = fit.variance.loc[(fit.variance["variance"] <= 0)
                            & (fit.variance["component"] != "residual"), "component"]
    row = fit.fits.iloc[0]
    assert row["singular"] == (len(zero) > 0)
    assert row["zero_components"] == ", ".join(models.component_name(c) for c in zero)


def test_swapped_arms_flip_the_contrasts(trial) -> None:
    swapped = trial.therapists.copy()
    swapped[design.ARM] = swapped[design.ARM].map(
        {design.CONTROL: design.TREATED, design.TREATED: design.CONTROL}).astype(
        trial.therapists[design.ARM].dtype)
    fit = models.analyse_outcomes(swapped, {"skills": ("pms",)}, design.THERAPIST_ID)
    ref = models.analyse_outcomes(trial.therapists, {"skills": ("pms",)}, design.THERAPIST_ID)
    for wave in ("post", "followup"):
        a, b = models.between(fit.contrasts, "pms", wave), models.between(ref.contrasts, "pms",
                                                                            wave)
        assert a["estimate"] == pytest.approx(-b["estimate"], rel=1e-6)
        assert a["d"] == pytest.approx(-b["d"], rel=1e-6)


def test_component_names() -> None:
    assert models.component_name("cluster_time[followup]") == "therapist × follow-up"
    assert models.component_name("subject", "therapist") == "therapist"
    assert models.component_name("cluster") == "therapist"
