"""The chapter's sentences and tables read truthfully whatever the numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mcbi.paper.outcomes.models import NOT_AVAILABLE, NOT_ESTIMABLE, OK
from mcbi.paper.sensitivity import report


def test_of_phrase() -> None:
    assert report.of_phrase(16, 16) == "all 16 contrasts"
    assert report.of_phrase(0, 16) == "none of the 16 contrasts"
    assert report.of_phrase(3, 16) == "3 of the 16 contrasts"
    assert report.of_phrase(1, 1) == "the one contrast"
    assert report.of_phrase(2, 2) == "both contrasts"


def test_finding_text_follows_the_numbers_and_the_outcome_direction() -> None:
    assert report.finding_text(0.5, 0.01, "pms", 0.05).endswith("the MCBI arm")
    assert report.finding_text(-0.5, 0.01, "pms", 0.05).endswith("the control arm")
    assert report.finding_text(-0.5, 0.01, "bsi_som", 0.05).endswith("the MCBI arm")
    assert report.finding_text(0.5, 0.2, "pms", 0.05) == "not statistically significant"
    assert report.finding_text(np.nan, 0.2, "pms", 0.05) == "not estimable"
    assert report.finding_text(0.5, 0.001, "pms", 0.05, sufficient=False).startswith("not tested")


def _table(variants, estimates, pvalues, status=None) -> pd.DataFrame:
    n = len(variants)
    return pd.DataFrame({"variant": variants, "outcome": "pms", "label": "PMS", "level":
                         "therapists", "time": "post", "estimate": estimates, "se": 0.1,
                         "df": 30.0, "pvalue": pvalues, "ci_lower": -1.0, "ci_upper": 1.0,
                         "n_units": 10, "status": status or [OK] * n, "note": "",
                         "collected": True, "sufficient": True})


def test_agreement_sentence_names_what_differs() -> None:
    same = _table(["a", "b"], [0.5, 0.4], [0.01, 0.02])
    assert report.agreement_sentence(same, "a", 0.05, "here") == (
        "The finding is the same here for the one contrast.")
    differ = _table(["a", "b"], [0.5, 0.4], [0.01, 0.20])
    assert "it differs for PMS at post" in report.agreement_sentence(differ, "a", 0.05, "here")
    none = _table(["a", "b"], [np.nan, np.nan], [np.nan, np.nan], [NOT_ESTIMABLE] * 2)
    assert report.agreement_sentence(none, "a", 0.05, "here") == "No contrast could be compared."


def test_tables_drop_waves_not_collected() -> None:
    table = pd.concat([_table(["ML", "REML"], [0.5, 0.5], [0.01, 0.01]),
                       _table(["ML", "REML"], [np.nan] * 2, [np.nan] * 2,
                              [NOT_AVAILABLE] * 2).assign(time="followup", collected=False)])
    shown = report.reml_table(table)
    assert len(shown) == 1 and shown["SE ratio ML/REML"].iloc[0] == "1.000"
    assert report.reml_values(table)["sens_reml_n"] == 1
    assert report.reml_table(table[table["time"] == "followup"]).empty
    assert "no contrast could be estimated" in report.show(pd.DataFrame(), "c", "tbl-x")


def test_tipping_sentence_for_no_significant_finding() -> None:
    points = pd.DataFrame({"outcome": ["pms"], "label": ["PMS"], "time": ["post"],
                           "tip_delta": [0.5], "tip_text": ["0.50 SD in favour of the MCBI arm"],
                           "grid_max": [1.0]})
    primary = _table(["p"], [0.1], [0.3])
    values = report.tipping_values(pd.DataFrame(), points, primary, 0.05)
    assert values["sens_tip_n_sig"] == 0
    assert values["sens_tip_sentence"].startswith("The one key contrast tested is not")
    assert values["pms_post_tip_delta"] == 0.5


def test_tipping_sentence_when_nothing_can_be_tested() -> None:
    points = pd.DataFrame({"outcome": ["pms", "pms"], "label": ["PMS", "PMS"],
                           "time": ["post", "followup"], "tip_delta": [np.nan, np.nan],
                           "tip_text": ["not tested: too few observed changes"] * 2,
                           "grid_max": [1.0, 1.0]})
    primary = pd.concat([_table(["p"], [0.1], [0.001]),
                         _table(["p"], [0.1], [0.3]).assign(time="followup")])
    primary["sufficient"] = False
    values = report.tipping_values(pd.DataFrame(), points, primary, 0.05)
    assert values["sens_tip_sentence"].startswith("Both key contrasts rest on too few")
    primary["sufficient"] = [True, False]
    text = report.tipping_values(pd.DataFrame(), points, primary, 0.05)["sens_tip_sentence"]
    assert "the smallest shift" in text and "The test of PMS at follow-up rests" in text
