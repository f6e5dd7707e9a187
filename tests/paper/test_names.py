"""mcbi.paper.names: the names and values of the reported numbers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from mcbi.paper import names
from mcbi.paper.apa import fmt_p
from mcbi.paper.models import between, within

# --- outcome models --------------------------------------------------------------------


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
    assert set(texts) == expected
    for outcome, wave, short in (("pms", "post", "post"), ("eus_t", "followup", "fu")):
        b = between(con, outcome, wave)
        assert texts[f"{outcome}_{short}_pholm_apa"] == fmt_p(b["p_holm"])
        assert texts[f"{outcome}_{short}_summary"].endswith(
            f"Holm-adjusted p {fmt_p(b['p_holm'])})")
        assert texts[f"{outcome}_{short}_result"].startswith(
            texts[f"{outcome}_{short}_summary"])


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
    assert texts["pms_fu_mcbi_change_txt"] == "not available (followup not collected)"
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
    assert s["fallback_sentence"] == "1 of 3 models did (B with simple), because: why."
    every = names.structure_values(fits.assign(structure="simple", estimable=True,
                                               fallback="why"))
    assert every["fallback_sentence"] == "all 3 models did, to simple, because: why."
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
    comparison = pd.DataFrame({"scale": ["pms", "bsi_anx", "eus_p", None],
                               "wave": ["post", "followup", "followup", "post"],
                               "this_build": ["MCBI > control", "not maintained",
                                              "not available (followup not collected)", "x"],
                               "agrees": [True, False, None, True]})
    values = names.finding_values(comparison)
    assert values == {"n_agree": 2, "n_findings": 4, "n_compared": 3,
                      "pms_post_finding": "MCBI > control", "pms_post_agrees": 1.0,
                      "bsi_anx_fu_finding": "not maintained", "bsi_anx_fu_agrees": 0.0,
                      "eus_p_fu_finding": "not available (followup not collected)",
                      "eus_p_fu_agrees": None}


# --- sample ----------------------------------------------------------------------------


def test_flow_values_by_hand() -> None:
    counts = pd.DataFrame({
        "arm": ["control", "MCBI"],
        "therapists_randomized": [4, 6], "patients_enrolled": [10, 10],
        "therapists_post": [3, 5], "patients_post": [6, 9],
        "therapists_followup": [2, 6], "patients_followup": [5, 5],
    })
    sizes = pd.Series([1, 1, 3, 2, 4, 1, 2, 2, 3, 1])
    values = names.flow_values(counts, sizes, "MCBI", "control")
    assert values == pytest.approx({
        "n_therapists": 10, "n_patients": 20, "n_mcbi": 6, "n_control": 4,
        "max_cluster": 4, "n_single": 4,
        "t_post_pct": 80.0, "t_fu_pct": 80.0, "p_post_pct": 75.0, "p_fu_pct": 50.0})


def test_flow_values_without_follow_up_and_with_suppression() -> None:
    counts = pd.DataFrame({
        "arm": ["control", "MCBI"],
        "therapists_randomized": [4, 6], "patients_enrolled": [10, 10],
        "therapists_post": [3, 5], "patients_post": [6, 9],
    })
    sizes = pd.Series([1, 1, 3, 2, 4, 1, 2, 2, 3, 1])
    values = names.flow_values(counts, sizes, "MCBI", "control")
    assert values["t_fu_pct"] is None and values["p_fu_pct"] is None
    assert values["t_post_pct"] == pytest.approx(80.0)
    assert values["n_single"] == 4
    assert names.flow_values(counts, sizes, "MCBI", "control", min_cell=5)["n_single"] is None


def test_reliability_values_skip_two_item_scales() -> None:
    rel = pd.DataFrame({"n_items": [2, 3, 10, 5], "alpha": [0.2, 0.7, 0.9, 0.8]})
    assert names.reliability_values(rel) == {"alpha_min": 0.7, "alpha_max": 0.9}


# --- mechanism -------------------------------------------------------------------------


def _msem_result(warnings=(), converged=True, labels=("a", "b")) -> SimpleNamespace:
    est = pd.DataFrame({
        "lhs": ["m", "y", "y", "ab"], "op": ["~", "~", "~~", ":="],
        "rhs": ["x", "m", "y", "a*b"], "label": [*labels, None, ""],
        "estimate": [0.5, 0.4, 1.0, 0.2], "se": [0.1, 0.2, 0.3, 0.05],
        "ci_lower": [0.3, 0.0, 0.4, 0.1], "ci_upper": [0.7, 0.8, 1.6, 0.3],
        "pvalue": [0.001, 0.04, 0.0, 0.01]})
    fm = {"ntotal": 100, "nclusters": 30, "chisq": 3.5, "df": 2, "cfi": 0.99}
    return SimpleNamespace(estimates=est, fit_measures=fm, warnings=list(warnings),
                           converged=converged, iterations=12, max_gradient=1e-7,
                           icc=pd.Series({"m": 0.2, "y": 0.1}))


def test_msem_values() -> None:
    mc = pd.DataFrame({"name": ["ab"], "estimate": [0.2], "ci_lower": [0.05],
                       "ci_upper": [0.4]})
    values = names.msem_values(_msem_result(warnings=["w"]), mc)
    assert values["n_rows"] == 100 and values["n_clusters"] == 30
    assert values["n_warnings"] == 1 and values["converged"] == "converged"
    assert values["iterations"] == 12 and values["max_gradient"] == 1e-7
    # labelled rows only (not the unlabelled variance nor the empty-labelled definition)
    assert {k for k in values if k.startswith("msem_")} == {
        f"msem_{lab}_{c}" for lab in "ab" for c in ("est", "se", "ci_lower", "ci_upper",
                                                   "pvalue")}
    assert values["msem_b_est"] == 0.4 and values["msem_a_pvalue"] == 0.001
    assert (values["mc_ab_est"], values["mc_ab_lo"], values["mc_ab_hi"]) == (0.2, 0.05, 0.4)
    assert {k for k in values if k.startswith("fit_")} == {f"fit_{m}" for m in names.FIT_MEASURES}
    assert values["fit_chisq"] == 3.5 and values["fit_rmsea"] is None  # absent -> None
    assert values["icc_m"] == 0.2 and values["icc_y"] == 0.1


def test_msem_values_not_converged_and_duplicate_labels() -> None:
    empty = pd.DataFrame(columns=["name", "estimate", "ci_lower", "ci_upper"])
    assert names.msem_values(_msem_result(converged=False), empty)["converged"] == (
        "did NOT converge")
    with pytest.raises(ValueError, match="more than one parameter"):
        names.msem_values(_msem_result(labels=("a", "a")), empty)


def test_truth_values() -> None:
    assert names.truth_values(None) == {"truth_covered": None, "truth_n": None,
                                        "truth_sign_agree": None}
    comp = pd.DataFrame({"label": ["a", "b", "c"], "true": [0.5, -0.2, 0.1],
                         "latent_estimate": [0.45, -0.1, 0.3],
                         "covered": [True, False, True], "sign_agrees": [True, True, False]})
    values = names.truth_values(comp)
    assert values["truth_covered"] == 2 and values["truth_n"] == 3
    assert values["truth_sign_agree"] == 2
    assert values["truth_b"] == -0.2 and values["latent_c_est"] == 0.3
    assert len(values) == 3 + 2 * 3


def test_single_level_values() -> None:
    side = pd.DataFrame({"label": ["a0", "a"], "single_estimate": [0.6, 0.3],
                         "se_ratio": [0.9, 0.5]})
    assert names.single_level_values(side) == {"se_ratio_a": 0.5, "single_a0_est": 0.6,
                                               "single_a_est": 0.3}
