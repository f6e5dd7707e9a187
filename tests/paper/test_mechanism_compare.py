"""mcbi.paper.mechanism_compare: the model against the truth and against a single level."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from _datafixtures import DATA
from mcbi.paper import mechanism, mechanism_compare

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
    observed = _estimates([("~", "a", 0.3, 0.1, 0.5)])
    out = mechanism_compare.compare_with_truth(DATA, observed)
    truth = mechanism.true_paths()
    assert list(out["label"]) == list(truth["label"])
    # the latent changes have no missing values: every path is estimated with an interval
    assert np.isfinite(out[["latent_estimate", "latent_ci_lower", "latent_ci_upper"]]).all().all()
    assert (out["latent_ci_lower"] < out["latent_estimate"]).all()
    assert out["observed_estimate"].notna().sum() == 1


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
