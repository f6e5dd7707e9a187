"""mcbi.paper.mechanism.sentences: every case has a true sentence, never a nan."""

from __future__ import annotations

import math

from mcbi.paper.mechanism import sentences

FITTED = {"path_a": 0.92, "path_a_ci_lower": 0.39, "path_a_ci_upper": 1.45, "path_b": 0.49,
          "path_b_ci_lower": 0.14, "path_b_ci_upper": 0.84, "indirect_ab": 0.45,
          "indirect_ab_ci_lower": 0.10, "indirect_ab_ci_upper": 0.91, "fit_chisq": 11.92,
          "fit_df": 12.0, "fit_pvalue": 0.452, "fit_cfi": 1.0, "fit_tli": 1.002,
          "fit_rmsea": 0.0, "fit_srmr_within": 0.022, "fit_srmr_between": 0.115,
          "se_ratio_a": 0.83, "truth_n": 13.0, "truth_covered": 12.0, "truth_sign_agree": 10.0}
NONE = {k: math.nan for k in FITTED}


def test_sentences_with_a_fitted_model() -> None:
    assert sentences.paths_sentence(FITTED, "95").endswith(
        "(path b, 95% CI [0.14, 0.84]).")
    assert sentences.indirect_sentence(FITTED, "95", 20000).startswith("From 20,000 draws")
    fit = sentences.fit_sentence(FITTED)
    assert "χ²(12) = 11.92, p = .452" in fit and "CFI = 1.000" in fit
    assert "CFI = .950" in sentences.fit_sentence({**FITTED, "fit_cfi": 0.95})  # no leading 0
    assert sentences.single_sentence(FITTED, True, "").startswith(
        "The single-level standard error of path a is 0.83 times")
    assert "12 of 13 true paths" in sentences.truth_sentence(FITTED, True, "", "95")


def test_sentences_without_a_model_describe_nothing_that_was_not_done() -> None:
    texts = [sentences.paths_sentence(NONE, "95"),
             sentences.indirect_sentence(NONE, "95", 20000),
             sentences.fit_sentence(NONE), sentences.single_sentence(NONE, False, ""),
             sentences.status_sentence(None, 3)]
    for text in texts:
        assert text.startswith("No model of the ladder passed")
        assert "nan" not in text and "20" not in text
    assert sentences.truth_sentence(NONE, False, "", "95") == ""  # real data: nothing


def test_status_sentence_translates_the_estimator() -> None:
    text = sentences.status_sentence(["not converged: ABNORMAL; max|grad| = 2.4e+08"], 0)
    assert text == "The reported model raised a warning: the optimiser did not converge."
    assert "2 earlier rungs" in sentences.status_sentence([], 2)
