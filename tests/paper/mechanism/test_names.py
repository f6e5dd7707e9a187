"""mcbi.paper.mechanism.names: the names and values of the reported numbers."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from mcbi.paper.mechanism import names

# --- outcome models --------------------------------------------------------------------


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
