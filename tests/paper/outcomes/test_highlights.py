"""mcbi.paper.outcomes.highlights: the Key results' sentences, both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.outcomes import highlights, published


def _rows(outcome: str, wave: str, mcbi: tuple[float, float] | None,
          between: tuple[float, float] | None) -> list[dict]:
    rows = []
    for contrast, group, spec in (("within", "MCBI", mcbi), ("within", "control", (0.0, 1.0)),
                                  ("between", "MCBI - control", between)):
        est, p = spec if spec is not None else (np.nan, np.nan)
        rows.append({"outcome": outcome, "contrast": contrast, "group": group, "time": wave,
                     "estimate": est, "ci_lower": est - 0.5, "ci_upper": est + 0.5,
                     "d": est / 2, "pvalue": p, "p_holm": p,
                     "status": "ok" if spec is not None else "not available",
                     "note": "" if spec is not None else "follow-up not collected"})
    return rows


def test_symptoms_never_maintained_without_a_post_improvement() -> None:
    table = pd.DataFrame(_rows("bsi_som", "post", (-1.0, 0.20), (-1.0, 0.20))
                         + _rows("bsi_som", "followup", (-1.5, 0.01), (-1.0, 0.20))
                         + _rows("bsi_dep", "post", (-1.0, 0.01), (-1.0, 0.20))
                         + _rows("bsi_dep", "followup", (-1.5, 0.01), (-1.0, 0.20)))
    text = highlights.symptom_sentence(table, {"bsi_som": "somatization",
                                               "bsi_dep": "depression"}, 0.05)
    assert "somatization (−1.00" in text and "did not change clearly" in text
    assert "an improvement emerged in somatization" in text
    assert "the improvement was maintained in depression" in text
    assert "maintained in somatization" not in text


def test_a_wave_not_collected_is_left_out() -> None:
    table = pd.DataFrame(_rows("bond", "post", (1.0, 0.01), (1.0, 0.001))
                         + _rows("bond", "followup", None, None))
    text = highlights.between_sentence(table, {"bond": "the bond"}, "post", 0.05)
    assert text.startswith("After the intervention, the MCBI arm improved more than the "
                           "control arm in the bond (1.00")
    assert highlights.between_sentence(table, {"bond": "the bond"}, "followup", 0.05) == ""
    sym = highlights.symptom_sentence(table.replace("bond", "bsi_anx"),
                                      {"bsi_anx": "anxiety"}, 0.05)
    assert "follow-up" not in sym and "not available" not in sym
    # a wave observed in one arm only is not "not collected": it is named, with its reason
    one_arm = table.assign(note=table["note"].str.replace("not collected",
                                                          "observed in one arm only"))
    text = highlights.between_sentence(one_arm, {"bond": "the bond"}, "followup", 0.05)
    assert "could not be estimated for the bond (follow-up observed in one arm only)" in text
    # the other direction: a negative difference on a higher-is-better outcome
    flipped = table.assign(estimate=-table["estimate"])
    assert "the control arm improved more than the MCBI arm in the bond" in \
        highlights.between_sentence(flipped, {"bond": "the bond"}, "post", 0.05)


def test_agreement_sentence_counts_only_stated_findings() -> None:
    rows = [published.finding_row("patients", "x", "bond", "post", "MCBI > control",
                                  "MCBI > control", 0.5, 0.01, True),
            published.finding_row("patients", "x", "bond", "followup",
                                  "not reported as maintained", "no clear difference",
                                  0.1, 0.5, None),
            published.finding_row("patients", "y", "eus_p", "post", "MCBI > control",
                                  "no clear difference", 0.1, 0.5, False)]
    text = highlights.agreement_sentence(pd.DataFrame(rows))
    assert text.startswith("Of the 2 findings the article states, this build could check "
                           "every one, and its finding is the article's for 1 of them.")
    assert "1 further contrast, which is therefore not counted" in text
    none = highlights.agreement_sentence(pd.DataFrame(rows[2:]))
    assert "0" not in none and none.endswith("could check one, and its finding differs from it.")


def test_agreement_sentence_says_none_of_them_never_0() -> None:
    rows = [published.finding_row("patients", o, "bond", "post", "MCBI > control",
                                  "no clear difference", 0.1, 0.5, False) for o in "xyz"]
    text = highlights.agreement_sentence(pd.DataFrame(rows))
    assert text.endswith("its finding is the article's for none of them.")
    assert " 0 " not in text
