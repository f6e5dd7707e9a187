"""mcbi.paper.models: the outcome models, their contrasts and Holm within each family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper import models, outcomes
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
        "outcome": ["b", "b", "a", "a"],
        "component": ["subject", "residual", "subject", "residual"],
        "variance": [2.0, 1.0, 4.0, 3.0],
        "icc": [0.6, 0.6, 0.5, 0.5],
    })
    wide = models.variance_table(variance)
    assert list(wide.index) == ["b", "a"]  # input order, not alphabetical
    assert list(wide.columns) == ["subject", "residual", "icc"]
    assert wide.loc["a", "subject"] == 4.0 and wide.loc["b", "residual"] == 1.0
    assert wide.loc["a", "icc"] == 0.5 and wide.loc["b", "icc"] == 0.6


def test_variance_table_of_a_fit(pms_only) -> None:
    wide = models.variance_table(pms_only.variance)
    assert list(wide.index) == ["pms"]
    assert list(wide.columns) == [*pms_only.variance["component"].unique(), "icc"]
    np.testing.assert_allclose(wide.loc["pms", "icc"], pms_only.variance["icc"].iloc[0])
