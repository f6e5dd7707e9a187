"""mcbi.paper.outcomes.claims: words chosen from the numbers, both ways, and missing contrasts."""

from __future__ import annotations

import re

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
    assert text == ("\u22120.28, 90% CI [\u22120.48, \u22120.08], d = \u22120.31, "
                    "Holm-adjusted p = .012")
    assert claims.result(row, 0.10) == ("\u22120.28 (90% CI [\u22120.48, \u22120.08], "
                                        "d = \u22120.31, Holm-adjusted p = .012), "
                                        "statistically significant, favouring the control arm")
    within = _row(contrast="within", estimate=-1.2, p_holm=0.0004, outcome="bsi_dep")
    # a within-arm change carries its interval too, and no d
    assert claims.summary(within, 0.05) == ("\u22121.20, 95% CI [\u22121.40, \u22121.00], "
                                            "Holm-adjusted p < .001")
    assert claims.within_text(within, 0.05).startswith("improved (\u22121.20, 95% CI")
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
    assert text.startswith("All 9 models were estimated. Of these, 1 used a simpler")
    assert ", and 8 had at least one variance component" in text
    assert "could not be estimated" not in text.replace("a term could not", "")


def _fits(n: int, failed: int = 0, fallback: int = 0, singular: int = 0) -> str:
    return claims.fit_sentence({"n_models": n, "n_not_estimable": failed,
                                "n_fallback": fallback, "n_singular": singular,
                                "n_estimable": n - failed})


def test_fit_sentence_never_says_zero() -> None:
    assert _fits(16) == ("All 16 models were estimated with the requested random-effects "
                         "structure, and none had a variance component estimated at zero.")
    assert _fits(9, failed=9) == ("None of the 9 models could be estimated (the model notes "
                                  "give the reasons).")
    assert _fits(2, failed=2).startswith("Neither model could be estimated")
    assert _fits(1, singular=1) == ("The model was estimated. It had at least one variance "
                                    "component estimated at zero (a singular fit; the model "
                                    "notes name the component).")
    grid = [(n, f, b, s) for n in (0, 1, 2, 3, 16) for f in range(n + 1)
            for b in range(n - f + 1) for s in range(n - f + 1)]
    for n, f, b, s in grid:
        text = _fits(n, f, b, s)
        assert not re.search(r"\b0\b", text), (n, f, b, s, text)
        assert not re.search(r"(?i)\ball (1 |\d+ (had|used))", text), text
        assert "Of these, all" not in text and "; and" not in text


def test_fit_sentence_on_a_pilot_reads_as_a_person_would() -> None:
    text = _fits(16, failed=12, singular=2)
    assert text == ("Of the 16 models, 12 could not be estimated (the model notes give the "
                    "reasons). Of the other 4, 2 had at least one variance component estimated "
                    "at zero (a singular fit; the model notes name the component).")
    assert _fits(16, failed=12, singular=4).startswith(
        "Of the 16 models, 12 could not be estimated (the model notes give the reasons). "
        "The other 4 all had at least one variance component")
    assert _fits(16, failed=15).endswith(
        "The other model was estimated with the requested random-effects structure, and it "
        "had no variance component estimated at zero.")
    assert _fits(16, singular=16).startswith("All 16 models were estimated, and all had")
    assert _fits(16, failed=1).startswith(
        "Of the 16 models, 1 could not be estimated (the model notes give the reason).")


def test_missing_within_change_reads_as_a_clause() -> None:
    gone = _row(contrast="within", estimate=np.nan, p_holm=np.nan, status="not available",
                note="follow-up not collected")
    assert claims.within_text(gone, 0.05) == "was not available (follow-up not collected)"
    assert claims.within_word(gone, 0.05) == "not estimable"
