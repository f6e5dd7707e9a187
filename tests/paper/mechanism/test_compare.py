"""mcbi.paper.mechanism.compare: the model against the truth and against a single level."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest

from _datafixtures import DATA
from mcbi.paper.mechanism import compare as mechanism_compare
from mcbi.paper.mechanism import model as mechanism

TRUTH = pd.DataFrame({"lhs": ["m", "y", "y"], "op": "~", "rhs": ["x", "m", "x"],
                      "level": [2, 2, 1], "label": ["a", "b", "c"],
                      "true": [0.5, -0.3, 0.2]})


def _estimates(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["op", "label", "estimate", "ci_lower", "ci_upper"])


def test_truth_comparison_by_hand() -> None:
    latent = _estimates([
        ("~", "b", -0.1, -0.2, 0.0),     # interval misses -0.3
        ("~", "a", 0.45, 0.3, 0.6),      # covers 0.5
        ("~~", "c", 9.0, -99.0, 99.0),   # a variance with the label of a path: not used
        ("~", None, 1.0, 0.0, 2.0),      # unlabelled path: ignored
    ])
    observed = _estimates([
        ("~", "a", 2.0, 1.0, 3.0),       # same sign as 0.5
        ("~", "b", 0.4, 0.1, 0.7),       # opposite sign to -0.3
        ("~", "c", 0.1, -0.1, 0.3),      # same sign as 0.2
        (":=", "", 5.0, 4.0, 6.0),       # an unlabelled definition: ignored
    ])
    out = mechanism_compare.truth_comparison(TRUTH, latent, observed)
    assert list(out.columns) == ["lhs", "op", "rhs", "level", "label", "true",
                                 "latent_estimate", "latent_ci_lower", "latent_ci_upper",
                                 "observed_estimate", "covered", "sign_agrees"]
    assert list(out["label"]) == ["a", "b", "c"]  # the truth's order
    assert list(out["covered"]) == [True, False, False]  # c has no latent path
    assert math.isnan(out.loc[2, "latent_estimate"])
    assert list(out["sign_agrees"]) == [True, False, True]
    assert list(out["observed_estimate"]) == [2.0, 0.4, 0.1]


def test_truth_comparison_interval_bounds_are_inclusive() -> None:
    latent = _estimates([("~", "a", 0.4, 0.3, 0.5), ("~", "b", -0.3, -0.3, -0.2),
                         ("~", "c", 0.0, -1.0, 1.0)])
    observed = _estimates([("~", "a", 0.0, -1.0, 1.0)])  # a zero estimate has no sign
    out = mechanism_compare.truth_comparison(TRUTH, latent, observed)
    assert out["covered"].all()
    assert not out["sign_agrees"].any()


def test_truth_comparison_rejects_duplicate_labels() -> None:
    latent = _estimates([("~", "a", 0.4, 0.3, 0.5), ("~", "a", 0.4, 0.3, 0.5)])
    with pytest.raises(ValueError, match="more than one parameter"):
        mechanism_compare.truth_comparison(TRUTH, latent, _estimates([]))


def test_compare_with_truth_real_data_is_none(tmp_path) -> None:
    descriptor = json.loads((DATA / "datapackage.json").read_text("utf-8"))
    descriptor["synthetic"] = False
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    assert mechanism_compare.compare_with_truth(tmp_path, _estimates([])) is None


def test_compare_with_truth_on_the_committed_package() -> None:
    truth = mechanism.true_paths()
    observed = truth[["lhs", "op", "rhs", "level"]].assign(
        label="", estimate=0.3, ci_lower=0.1, ci_upper=0.5)  # unlabelled: matched by path
    out = mechanism_compare.compare_with_truth(DATA, observed)
    assert list(out["label"]) == list(truth["label"])
    # the latent changes have no missing values: every path is estimated with an interval
    assert np.isfinite(out[["latent_estimate", "latent_ci_lower", "latent_ci_upper"]]).all().all()
    assert (out["latent_ci_lower"] < out["latent_estimate"]).all()
    assert (out["observed_estimate"] == 0.3).all()
    # only the true paths that the observed fit contains are compared
    one = mechanism_compare.compare_with_truth(DATA, observed.iloc[[1]])
    assert list(one["label"]) == [truth["label"].iloc[1]]


# --- single level -----------------------------------------------------------------------


TWO_LEVEL = pd.DataFrame({
    "lhs": ["m", "y", "y", "y", "m"], "op": ["~", "~", "~", "~~", "~"],
    "rhs": ["x", "m", "m", "y", "x"], "level": [2, 2, 1, 2, 1],
    "label": ["a", "b", "b_w", "", ""], "estimate": [0.5, 0.3, 0.2, 1.0, 0.0],
    "se": [0.2, 0.1, 0.05, 0.3, 0.1]})


def test_single_level_comparison_by_hand() -> None:
    single = pd.DataFrame({"lhs": ["y", "m"], "op": "~", "rhs": ["m", "z"],
                           "estimate": [0.25, 0.9], "se": [0.05, 0.1]})
    out = mechanism_compare.single_level_comparison(TWO_LEVEL, single)
    assert list(out.columns) == ["lhs", "rhs", "label", "estimate", "se", "single_estimate",
                                 "single_se", "se_ratio"]
    assert list(out["label"]) == ["a", "b"]  # level-2 regressions only
    assert math.isnan(out.loc[0, "single_estimate"]) and math.isnan(out.loc[0, "se_ratio"])
    assert out.loc[1, "single_estimate"] == 0.25
    assert out.loc[1, "se_ratio"] == pytest.approx(0.5)


def test_single_level_comparison_rejects_repeated_paths() -> None:
    single = pd.DataFrame({"lhs": ["y", "y"], "rhs": ["m", "m"], "estimate": [1.0, 2.0],
                           "se": [0.1, 0.1]})
    with pytest.raises(pd.errors.MergeError):
        mechanism_compare.single_level_comparison(TWO_LEVEL, single)


def test_fit_single_level_on_the_change_data(trial) -> None:
    out = mechanism_compare.fit_single_level(mechanism.change_data(trial))
    assert list(out.columns) == ["lhs", "op", "rhs", "estimate", "se", "pvalue"]
    paths = {(r.lhs, r.rhs) for r in out.itertuples()}
    assert paths == {("pms", "mcbi"), ("eusp", "pms"), ("bond", "eusp")} | {
        (s, x) for s in mechanism.SYMPTOMS for x in ("bond", "eusp")}
    assert (out["se"] > 0).all() and out["estimate"].notna().all()


# --- the ladder's reported fit, contract and claim --------------------------------------


@pytest.fixture(scope="module")
def reported(trial):
    from mcbi.paper.mechanism.ladder import fit_ladder

    data = mechanism.change_data(trial)
    ladder = fit_ladder(data)
    return data, ladder, mechanism_compare.report_fit(ladder, data, level=0.9)


def test_report_fit_repeats_the_ladders_estimates_at_the_level(reported) -> None:
    _, ladder, res = reported
    assert res.level == 0.9
    np.testing.assert_array_equal(res.theta, ladder.result.theta)
    assert np.isfinite(res.fit_measures["chisq"]) and len(res.icc) > 0
    a = res.estimates.set_index("label").loc["a"]
    assert a["ci_upper"] - a["estimate"] == pytest.approx(1.6448536 * a["se"], rel=1e-6)


def test_report_fit_is_none_without_a_passing_rung(reported) -> None:
    from mcbi.paper.mechanism.ladder import LadderResult

    assert mechanism_compare.report_fit(LadderResult([], None), reported[0]) is None


def test_contract_values_agree_with_the_tables(reported) -> None:
    _, ladder, res = reported
    mc = res.monte_carlo_ci(n_draws=2000, seed=3, level=0.9)
    out = mechanism_compare.contract_values(ladder, mc, 2000, 3, 0.9)
    est = res.estimates.set_index("label")
    assert out["mechanism_model"] == ladder.chosen.rung.name
    for name, lab in (("path_a", "a"), ("path_b", "b")):
        assert out[name] == pytest.approx(est.loc[lab, "estimate"])
        assert out[f"{name}_ci_lower"] == pytest.approx(est.loc[lab, "ci_lower"])
        assert out[f"{name}_ci_upper"] == pytest.approx(est.loc[lab, "ci_upper"])
    row = mc.set_index("name").loc["pms_eusp_bond"]
    assert (out["indirect_ab_ci_lower"], out["indirect_ab_ci_upper"]) == (
        row["ci_lower"], row["ci_upper"])


def test_claims_comparison_by_hand() -> None:
    est = pd.DataFrame({"op": ["~", "~", "~", "~~"], "label": ["a", "b", "c1", ""],
                        "estimate": [0.5, 0.4, -0.3, 1.0], "ci_lower": [0.1, -0.1, -0.6, 0.5],
                        "ci_upper": [0.9, 0.9, -0.05, 1.5]})
    mc = pd.DataFrame({"name": ["pms_eusp_bond", "pms_som"], "estimate": [0.2, -0.1],
                       "ci_lower": [0.01, -0.3], "ci_upper": [0.4, 0.05]})
    out = mechanism_compare.claims_comparison(est, mc)
    assert list(out["label"]) == [c[0] for c in mechanism_compare.CLAIMS]
    rep = out.set_index("label")["reproduced"]
    assert (rep["a"], rep["b"], rep["c1"], rep["pms_eusp_bond"], rep["pms_som"]) == (
        1.0, 0.0, 1.0, 1.0, 0.0)
    assert rep[["c2", "c3", "pms_dep", "pms_anx"]].isna().all()  # not in the model
    none = mechanism_compare.claims_comparison(None, None)
    assert none["reproduced"].isna().all() and len(none) == len(mechanism_compare.CLAIMS)


def test_claims_of_the_reported_fit(reported) -> None:
    _, _, res = reported
    mc = res.monte_carlo_ci(n_draws=2000, seed=3, level=0.9)
    out = mechanism_compare.claims_comparison(res.estimates, mc).set_index("label")
    a = res.estimates.set_index("label").loc["a"]
    assert out.loc["a", "ci_lower"] == a["ci_lower"]
    assert out.loc["a", "reproduced"] == float(a["ci_lower"] > 0)


@pytest.mark.parametrize(("est", "lo", "hi", "sign", "expected"), [
    (0.5, 0.1, 0.9, 1, "reproduced"), (0.5, -0.1, 0.9, 1, "not reproduced"),
    (-0.5, -0.9, -0.1, 1, "not reproduced"), (-0.5, -0.9, -0.1, -1, "reproduced"),
    (0.5, 0.0, 0.9, 1, "not reproduced"), (np.nan, 0.1, 0.9, 1, "not estimable")])
def test_reproduced_phrase(est, lo, hi, sign, expected) -> None:
    from mcbi.paper.render.phrases import reproduced

    assert reproduced(est, lo, hi, sign) == expected


def test_reproduced_phrase_rejects_a_sign_of_zero() -> None:
    from mcbi.paper.render.phrases import reproduced

    with pytest.raises(ValueError, match="expected_sign"):
        reproduced(0.5, 0.1, 0.9, 0)


def test_compare_with_truth_for_the_chain_rung(reported) -> None:
    from mcbi.paper.mechanism.ladder import CHAIN_MODEL
    from mcbi.stats.msem import fit

    data, _, _ = reported
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chain = fit(CHAIN_MODEL, data, cluster=mechanism.CLUSTER, bounds="pos.var",
                    saturated=False)
    out = mechanism_compare.compare_with_truth(DATA, chain.estimates, CHAIN_MODEL,
                                               "pos.var", 0.9)
    # the chain's paths, matched by lhs/op/rhs/level (its arm path has no label)
    assert list(out["label"]) == ["a0", "a", "b", "b_w"]
    assert out["observed_estimate"].notna().all() and out["latent_estimate"].notna().all()


def test_single_level_or_reason_never_raises_or_prints(capsys, reported) -> None:
    data, _, res = reported
    side, why = mechanism_compare.single_level_or_reason(res.estimates, data)
    assert why == "" and side is not None and "a" in set(side["label"])
    tiny = data.head(3).copy()
    tiny[["eusp", "bond"]] = np.nan
    side, why = mechanism_compare.single_level_or_reason(res.estimates, tiny)
    assert side is None and why.startswith("the single-level model")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_claims_values_and_sample_values() -> None:
    from mcbi.paper.mechanism import names

    claims = pd.DataFrame({"label": ["a", "c1", "c2", "x"], "reproduced": [1.0, 0.0, 1.0,
                                                                            np.nan]})
    out = names.claims_values(claims, ("c1", "c2"))
    assert (out["mech_claims_reproduced"], out["mech_claims_estimable"],
            out["mech_claims_total"]) == (2, 3, 4)
    assert (out["mech_bond_symptoms_reproduced"], out["mech_bond_symptoms_total"]) == (1, 2)
    assert out["mech_claim_c1"] == 0.0 and math.isnan(out["mech_claim_x"])
    assert names.sample_values({"patients_used": 3}) == {"mech_patients_used": 3}
    texts = names.paragraph_values({"fit_pvalue": 0.0004}, 0.1)
    assert texts["alpha_text"] == "α = .10" and texts["fit_papa"] == "< .001"


def test_fit_single_level_matches_lavaan_fiml_with_means() -> None:
    """The chapter's single-level fit (FIML, observed information) against lavaan's
    sem(model, missing = "fiml", meanstructure = TRUE) on seeded data with non-zero
    intercepts and 15 % missing cells (tests/fixtures/lavaan/single_level.json).
    Tolerance: estimates 1e-5 absolute, standard errors 1e-4 relative."""
    import json
    from pathlib import Path

    here = Path(__file__).parents[2] / "fixtures" / "lavaan"
    ref = json.loads((here / "single_level.json").read_text("utf-8"))
    lav = pd.DataFrame(ref["parameters"])
    lav = lav[lav["op"] == "~"]
    out = mechanism_compare.fit_single_level(pd.read_csv(here / ref["data"]))
    both = out.merge(lav.rename(columns={"se": "lavaan_se"}), on=["lhs", "op", "rhs"],
                     validate="one_to_one")
    assert len(both) == len(lav) == 9
    assert np.allclose(both["estimate"], both["est"], rtol=0, atol=1e-5)
    assert np.allclose(both["se"], both["lavaan_se"], rtol=1e-4, atol=0)
    # without the mean structure the intercepts would be 0 and a0 far off
    assert ref["lavaan_version"] and ref["r_version"].startswith("R version")
