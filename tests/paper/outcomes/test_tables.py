"""mcbi.paper.outcomes.tables: contrast, variance and published-findings tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.outcomes import tables
from mcbi.paper.outcomes.models import between, within
from mcbi.paper.render.apa import MINUS, fmt_estimate_ci, fmt_num, fmt_p


def test_contrast_summary(two_in_family) -> None:
    con = two_in_family.contrasts
    summary = tables.contrast_summary(con)
    assert len(summary) == 2 * 2  # outcomes x waves
    assert list(summary.columns) == ["Family", "Outcome", "Wave", "Δ control", "Δ MCBI",
                                     "Difference [95% CI]", "d [95% CI]", "p (Holm)"]
    assert list(summary["Wave"]) == ["post", "follow-up"] * 2
    assert list(summary["Outcome"].iloc[::2]) == ["Psychotherapeutic mindfulness skills",
                                                  "EUS-T empathic understanding"]
    row = summary.iloc[3]  # eus_t at follow-up
    b = between(con, "eus_t", "followup")
    assert row["Difference [95% CI]"] == fmt_estimate_ci(b["estimate"], b["ci_lower"],
                                                         b["ci_upper"])
    assert row["d [95% CI]"] == fmt_estimate_ci(b["d"], b["d_ci_lower"], b["d_ci_upper"])
    assert row["Δ MCBI"] == fmt_num(within(con, "eus_t", "followup")["estimate"])
    assert row["Δ control"] == fmt_num(
        within(con, "eus_t", "followup", "control")["estimate"])
    assert row["p (Holm)"] == fmt_p(b["p_holm"]).removeprefix("= ")
    assert not summary["p (Holm)"].str.startswith("=").any()


def test_contrast_summary_level_missing_wave_and_notes(two_in_family) -> None:
    con = two_in_family.contrasts.copy()
    fu = con["time"] == "followup"
    con.loc[fu, ["estimate", "ci_lower", "ci_upper", "d", "p_holm"]] = np.nan
    con.loc[fu, "status"] = "not available"
    fits = two_in_family.fits.assign(singular=[True, False], zero_components=["therapist", ""])
    summary = tables.contrast_summary(con, alpha=0.1, fits=fits)
    assert list(summary["Wave"]) == ["post", "post"]  # the empty wave is left out
    assert "Difference [90% CI]" in summary.columns and "d [90% CI]" in summary.columns
    assert list(summary["Model notes"]) == ["singular: therapist variance = 0", ""]


# --- markdown_table --------------------------------------------------------------------


def test_variance_display() -> None:
    variance = pd.DataFrame({"cluster": [0.01234], "cluster_time[post]": [0.2],
                             "residual": [1.5], "icc_post": [0.0083]},
                            index=pd.Index(["bond"], name="outcome"))
    out = tables.variance_display(variance)
    assert list(out.columns) == ["Outcome", "Therapist variance", "Therapist × post variance",
                                 "Residual variance", "ICC post"]
    # the ICC is a proportion: no leading zero (APA)
    assert list(out.iloc[0]) == ["WATOCI therapeutic bond", "0.012", "0.200", "1.500", ".008"]


def test_variance_display_follow_up_label() -> None:
    variance = pd.DataFrame({"cluster_time[followup]": [0.1]},
                            index=pd.Index(["bond"], name="outcome"))
    assert list(tables.variance_display(variance).columns) == [
        "Outcome", "Therapist × follow-up variance"]


def test_published_display() -> None:
    comparison = pd.DataFrame({
        "who": ["patients", "patients"], "outcome": ["therapeutic bond", "anxiety"],
        "scale": ["bond", "bsi_anx"], "wave": ["post", "followup"],
        "published": ["MCBI > control", "maintained"],
        "this_build": ["MCBI > control", "maintained"], "contrast": ["between", "within"],
        "estimate": [0.456, -0.5], "p_holm": [0.0123, 0.0001], "agrees": [True, False],
        "agreement": ["agrees", "differs"]})
    out = tables.published_display(comparison)
    assert list(out.columns) == ["Who", "Outcome", "Wave", "Published", "This build",
                                 "Contrast", "Estimate", "p (Holm)", "Agreement"]
    assert list(out.iloc[0]) == ["Patients", "therapeutic bond", "post", "MCBI > control",
                                 "MCBI > control", "Between arms", "0.46", ".012", "agrees"]
    # the group is named once per block; the estimate is labelled by what it is
    assert out.iloc[1]["Who"] == ""
    assert out.iloc[1]["Contrast"] == "MCBI arm"
    assert list(out.iloc[1][["Wave", "Estimate", "p (Holm)", "Agreement"]]) == [
        "follow-up", MINUS + "0.50", "< .001", "differs"]


# --- Markdown escaping -----------------------------------------------------------------
