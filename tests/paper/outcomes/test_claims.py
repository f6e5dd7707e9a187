"""mcbi.paper.outcomes.claims: words chosen from the numbers, both ways, and missing contrasts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.outcomes import claims


def _row(outcome="bond", estimate=0.5, p_holm=0.01, contrast="between", status="ok",
         note="", d=0.4) -> pd.Series:
    return pd.Series({"outcome": outcome, "contrast": contrast, "estimate": estimate,
                      "ci_lower": estimate - 0.2, "ci_upper": estimate + 0.2, "d": d,
                      "p_holm": p_holm, "status": status, "note": note})


@pytest.mark.parametrize(("outcome", "estimate", "favours"), [
    ("bond", 0.5, "MCBI"), ("bond", -0.5, "the control arm"),
    ("bsi_som", -0.5, "MCBI"), ("bsi_som", 0.5, "the control arm"),  # lower is better
])
def test_verdict_follows_sign_and_direction_of_improvement(outcome, estimate, favours) -> None:
    row = _row(outcome, estimate)
    assert claims.verdict(row, 0.05) == f"statistically significant, favouring {favours}"
    # the same row with the arms swapped (sign flipped) favours the other arm
    flipped = claims.verdict(_row(outcome, -estimate), 0.05)
    assert flipped != claims.verdict(row, 0.05) and flipped.startswith("statistically")


def test_verdict_uses_holm_p_and_alpha() -> None:
    assert claims.verdict(_row(p_holm=0.07), 0.05) == "not statistically significant"
    assert claims.verdict(_row(p_holm=0.07), 0.10).startswith("statistically significant")
    assert claims.more_or_less(_row(estimate=-0.3)) == "less"
    assert claims.more_or_less(_row(estimate=0.3)) == "more"


def test_summary_and_result_texts() -> None:
    row = _row(estimate=-0.28, p_holm=0.0123, d=-0.31)
    text = claims.summary(row, 0.10)
    assert text == "\u22120.28 (90% CI \u22120.48 to \u22120.08; d = \u22120.31; " \
                   "Holm-adjusted p = .012)"
    assert claims.result(row, 0.10) == text + ", statistically significant, favouring " \
                                              "the control arm"
    within = _row(contrast="within", estimate=-1.2, p_holm=0.0004, outcome="bsi_dep")
    assert claims.summary(within, 0.05) == "\u22121.20, Holm-adjusted p < .001"
    assert claims.within_text(within, 0.05).startswith("improved (")
    assert claims.within_text(_row(contrast="within", estimate=-1.2, p_holm=0.01),
                              0.05).startswith("worsened (")
    assert claims.within_text(_row(contrast="within", p_holm=0.5), 0.05).startswith(
        "did not change clearly")


def test_missing_contrasts_say_why() -> None:
    gone = _row(estimate=np.nan, p_holm=np.nan, status="not available",
                note="followup not collected")
    assert claims.summary(gone, 0.05) == "not available (followup not collected)"
    assert claims.result(gone, 0.05) == "not available (followup not collected)"
    assert claims.verdict(gone, 0.05) == "not available"
    failed = _row(estimate=np.nan, p_holm=np.nan, status="not estimable", note="x")
    assert claims.summary(failed, 0.05).startswith("not estimable")


def test_waves_and_sentences() -> None:
    assert claims.waves_text(["post", "followup"]) == "post and follow-up"
    assert claims.waves_text(["post"]) == "post"
    assert claims.waves_text([]) == "no wave after baseline"
    assert claims.followup_sentence(["post", "followup"]) == ""
    assert "not available" in claims.followup_sentence(["post"])
    text = claims.fit_sentence({"n_models": 9, "n_singular": 8, "n_fallback": 1,
                                "n_not_estimable": 0, "n_estimable": 9})
    assert text.startswith("Of the 9 models, 8 had") and "1 used a simpler" in text
