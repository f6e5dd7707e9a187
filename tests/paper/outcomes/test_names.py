"""mcbi.paper.outcomes.names: glue names of the outcome chapters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.outcomes import names
from mcbi.paper.outcomes.models import between, within
from mcbi.paper.render.apa import fmt_p


def test_contrast_values_keys_and_values(two_in_family) -> None:
    con = two_in_family.contrasts
    values = names.contrast_values(con)
    expected = set()
    for outcome in ("pms", "eus_t"):
        for wave in ("post", "fu"):
            stem = f"{outcome}_{wave}_diff"
            expected |= {stem} | {f"{stem}_{s}" for s in ("lo", "hi", "d", "p", "pholm")}
            for arm in ("mcbi", "control"):
                change = f"{outcome}_{wave}_{arm}_change"
                expected |= {change, f"{change}_p", f"{change}_pholm"}
    assert set(values) == expected
    b = between(con, "pms", "post")
    assert values["pms_post_diff"] == b["estimate"]
    assert values["pms_post_diff_lo"] == b["ci_lower"]
    assert values["pms_post_diff_hi"] == b["ci_upper"]
    assert values["pms_post_diff_d"] == b["d"]
    assert values["pms_post_diff_p"] == b["pvalue"]
    assert values["pms_post_diff_pholm"] == b["p_holm"]
    w = within(con, "eus_t", "followup")
    assert values["eus_t_fu_mcbi_change"] == w["estimate"]
    assert values["eus_t_fu_mcbi_change_pholm"] == w["p_holm"]
    wc = within(con, "pms", "followup", arm="control")
    assert values["pms_fu_control_change"] == wc["estimate"]


def test_contrast_texts(two_in_family) -> None:
    con = two_in_family.contrasts
    texts = names.contrast_texts(con, alpha=0.05)
    stems = [f"{o}_{w}" for o in ("pms", "eus_t") for w in ("post", "fu")]
    expected = {f"{s}_{k}" for s in stems for k in ("result", "summary", "verdict", "more",
                                                    "pholm_apa")}
    expected |= {f"{s}_{a}_change_txt" for s in stems for a in ("mcbi", "control")}
    expected |= {f"{o}_fu_clause" for o in ("pms", "eus_t")}
    assert set(texts) == expected
    for outcome, wave, short in (("pms", "post", "post"), ("eus_t", "followup", "fu")):
        b = between(con, outcome, wave)
        assert texts[f"{outcome}_{short}_pholm_apa"] == fmt_p(b["p_holm"])
        assert texts[f"{outcome}_{short}_summary"].endswith(
            f"Holm-adjusted p {fmt_p(b['p_holm'])}")
        assert texts[f"{outcome}_{short}_result"].startswith(
            texts[f"{outcome}_{short}_summary"].split(", ", 1)[0] + " (")


def test_contrast_texts_flip_with_the_sign(two_in_family) -> None:
    """The same table with the arms swapped (every contrast negated): the words flip."""
    con = two_in_family.contrasts
    flipped = con.copy()
    for col in ("estimate", "d"):
        flipped[col] = -con[col]
    flipped[["ci_lower", "ci_upper"]] = -con[["ci_upper", "ci_lower"]].to_numpy()
    a, b = names.contrast_texts(con), names.contrast_texts(flipped)
    for key, text in a.items():
        if key.endswith("_more"):
            assert {text, b[key]} == {"more", "less"}
        if key.endswith("_verdict") and "favouring" in text:
            assert {text, b[key]} == {"statistically significant, favouring MCBI",
                                      "statistically significant, favouring the control arm"}
    assert any("favouring" in t for k, t in a.items() if k.endswith("_verdict"))


def test_contrast_texts_of_missing_waves() -> None:
    table = pd.DataFrame({"outcome": ["pms"] * 3, "contrast": ["within", "within", "between"],
                          "group": ["control", "MCBI", "MCBI - control"],
                          "time": ["followup"] * 3, "estimate": [np.nan] * 3,
                          "p_holm": [np.nan] * 3, "status": ["not available"] * 3,
                          "note": ["followup not collected"] * 3})
    texts = names.contrast_texts(table)
    assert texts["pms_fu_result"] == "not available (followup not collected)"
    assert texts["pms_fu_mcbi_change_txt"] == "was not available (followup not collected)"
    assert texts["pms_fu_pholm_apa"] == "—"
    values = names.contrast_values(table.assign(ci_lower=np.nan, ci_upper=np.nan, d=np.nan,
                                                pvalue=np.nan))
    assert np.isnan(values["pms_fu_diff"])


def test_fit_and_structure_values() -> None:
    fits = pd.DataFrame({"label": ["A", "B", "C"], "requested": ["rich"] * 3,
                         "structure": ["rich", "simple", ""], "fallback": ["", "why", ""],
                         "singular": [True, False, False], "estimable": [True, True, False]})
    values = names.fit_values(fits, ["post"])
    assert {k: values[k] for k in ("n_models", "n_singular", "n_fallback",
                                   "n_not_estimable")} == {"n_models": 3, "n_singular": 1,
                                                           "n_fallback": 1,
                                                           "n_not_estimable": 1}
    assert values["waves_txt"] == "post" and "not available" in values["followup_sentence"]
    s = names.structure_values(fits)
    assert s["requested_txt"] == "rich"
    assert s["fallback_sentence"] == "1 of the 3 models did: B, to simple, because why."
    every = names.structure_values(fits.assign(structure="simple", estimable=True,
                                               fallback="why"))
    assert every["fallback_sentence"] == "all 3 models did, to simple, because why."
    mixed = names.structure_values(fits.assign(
        structure=["simple (one variance)", "simpler", "simple (one variance)"],
        estimable=True, fallback=["why", "why", "why; other"]))
    assert mixed["fallback_sentence"] == (
        "all 3 models did: A, to simple (one variance), because why; B, to simpler, because "
        "why; C, to simple (one variance), because why; other.")
    same = names.structure_values(fits.assign(structure=["simple (one variance)", "simpler",
                                                         "simple (one variance)"],
                                              estimable=True, fallback="why"))
    assert same["fallback_sentence"] == ("all 3 models did: A and C, to simple (one "
                                         "variance), because why; B, to simpler, because why.")
    for text in (s, every, mixed, same):  # never a parenthesis inside another
        depth = 0
        for ch in text["fallback_sentence"]:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            assert depth <= 1
    one = names.structure_values(fits.iloc[:1].assign(structure="simple", estimable=True,
                                                     fallback="why"))
    assert one["fallback_sentence"] == "the only model did, to simple, because why."
    none = names.structure_values(fits.assign(structure="rich", estimable=True))
    assert none["fallback_sentence"] == "none of the models here needed to."


@pytest.mark.parametrize(("wave", "short"), [("post", "post"), ("followup", "fu")])
def test_outcome_key(wave, short) -> None:
    assert names.outcome_key("bsi_som", wave) == f"bsi_som_{short}"


@pytest.mark.parametrize("wave", ["pre", "fu", "Post", ""])
def test_outcome_key_unknown_wave(wave) -> None:
    with pytest.raises(ValueError, match="wave must be one of"):
        names.outcome_key("pms", wave)


def test_icc_values() -> None:
    icc = pd.DataFrame({"outcome": ["bond", "bond", "phi"], "time": ["pre", "followup", "post"],
                        "icc": [0.1, 0.3, 0.2]})
    assert names.icc_values(icc) == {"icc_min": 0.1, "icc_max": 0.3, "bond_icc_pre": 0.1,
                                     "bond_icc_fu": 0.3, "phi_icc_post": 0.2,
                                     "icc_range_txt": "ranges from 0.10 to 0.30"}
    empty = names.icc_values(icc.assign(icc=float("nan")))
    assert empty["icc_min"] is None and empty["icc_max"] is None
    assert empty["icc_range_txt"].startswith("could not be estimated")


def test_finding_values() -> None:
    comparison = pd.DataFrame({"scale": ["pms", "bsi_anx", "eus_p", "bond", "teca", None],
                               "wave": ["post", "followup", "followup", "followup", "post",
                                        "post"],
                               "published": ["MCBI > control", "maintained",
                                             "MCBI > control", "not reported as maintained",
                                             "MCBI > control", "x"],
                               "this_build": ["MCBI > control", "not maintained",
                                              "not available (followup not collected)",
                                              "no clear difference",
                                              "not estimable (see the outcome chapter)", "x"],
                               "agrees": [True, False, None, None, None, True]})
    values = names.finding_values(comparison)
    # the article's silence (bond) is not a finding; of the 5 it states, 3 were checked,
    # one is not in the data and one could not be estimated
    assert values == {"n_agree": 2, "n_findings": 6, "n_stated": 5, "n_compared": 3,
                      "n_unchecked_not_collected": 1, "n_unchecked_one_arm": 0,
                      "n_unchecked_not_estimable": 1,
                      "pms_post_finding": "MCBI > control", "pms_post_agrees": 1.0,
                      "bsi_anx_fu_finding": "not maintained", "bsi_anx_fu_agrees": 0.0,
                      "eus_p_fu_finding": "not available (followup not collected)",
                      "eus_p_fu_agrees": None,
                      "bond_fu_finding": "no clear difference", "bond_fu_agrees": None,
                      "teca_post_finding": "not estimable (see the outcome chapter)",
                      "teca_post_agrees": None}
    # every stated finding checked: no unchecked rows to count (the shipped data)
    checked = names.finding_values(comparison.iloc[[0, 1, 3]])
    assert (checked["n_stated"], checked["n_compared"], checked["n_unchecked_not_collected"],
            checked["n_unchecked_one_arm"], checked["n_unchecked_not_estimable"]) == (2, 2, 0, 0, 0)


# --- sample ----------------------------------------------------------------------------
