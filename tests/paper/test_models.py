"""mcbi.paper.models: the outcome models, their contrasts and Holm within each family."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper import models
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


