"""Tests for mcbi.stats.lmm.summaries: contrasts, marginal means and ICC by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _lmm_helpers import balanced, fit
from mcbi.stats.lmm import contrasts, fit_lmm, icc, icc_by_time, marginal_means


def test_contrasts_are_hand_combinations() -> None:
    res = fit("twolevel")
    b, V = res.params, res.cov_fixed
    tab = contrasts(res).set_index(["contrast", "group", "time"])
    for t in ["post", "follow_up"]:
        bt, bi = f"time[T.{t}]", f"group[T.MCBI]:time[T.{t}]"
        assert tab.loc[("within", "control", t), "estimate"] == pytest.approx(b[bt], rel=1e-12)
        assert tab.loc[("within", "control", t), "se"] == pytest.approx(
            np.sqrt(V.loc[bt, bt]), rel=1e-12)
        assert tab.loc[("within", "MCBI", t), "estimate"] == pytest.approx(b[bt] + b[bi],
                                                                         rel=1e-12)
        var = V.loc[bt, bt] + V.loc[bi, bi] + 2 * V.loc[bt, bi]
        assert tab.loc[("within", "MCBI", t), "se"] == pytest.approx(np.sqrt(var), rel=1e-12)
        row = tab.loc[("between", "MCBI - control", t)]
        assert row["estimate"] == pytest.approx(b[bi], rel=1e-12)
        assert row["statistic"] == pytest.approx(b[bi] / np.sqrt(V.loc[bi, bi]), rel=1e-12)
        z = 1.959963984540054
        assert row["ci_lower"] == pytest.approx(b[bi] - z * np.sqrt(V.loc[bi, bi]), rel=1e-10)
        assert row["pvalue"] == pytest.approx(2 * stats.norm.sf(abs(row["statistic"])))


def test_d_only_with_a_named_sd() -> None:
    res = fit("threelevel")
    tab = contrasts(res)
    assert (tab["outcome"] == "y").all()
    assert list(tab.columns) == [
        "outcome", "contrast", "group", "time", "estimate", "se", "statistic", "pvalue",
        "ci_lower", "ci_upper"]
    sd = np.sqrt(res.total_variance)
    with_d = contrasts(res, sd=sd)
    np.testing.assert_allclose(with_d["d"], tab["estimate"] / sd, rtol=1e-12)
    np.testing.assert_allclose(with_d["d_ci_lower"], tab["ci_lower"] / sd, rtol=1e-12)
    np.testing.assert_allclose(with_d["d_ci_upper"], tab["ci_upper"] / sd, rtol=1e-12)
    assert (with_d["d_sd"] == sd).all()


def test_alpha_sets_interval_width() -> None:
    res = fit("twolevel")
    tab = contrasts(res, alpha=0.10)
    np.testing.assert_allclose(tab["ci_upper"] - tab["estimate"], 1.6448536269514722 * tab["se"])
    with pytest.raises(ValueError, match="alpha"):
        contrasts(res, alpha=1.5)
    with pytest.raises(ValueError, match="alpha"):
        marginal_means(res, alpha=0.0)


def test_marginal_means_equal_cell_means_when_balanced() -> None:
    df = balanced()
    levels = {"group_levels": ["b_ctl", "a_trt"], "time_levels": ["pre", "post", "fu"]}
    res = fit_lmm(df, "y", "arm", "wave", "id", **levels)
    mm = marginal_means(res).set_index(["group", "time"])
    assert list(mm.columns) == ["outcome", "estimate", "se", "ci_lower", "ci_upper", "n"]
    cell = df.groupby(["arm", "wave"])["y"].mean()
    for (g, t), value in cell.items():
        assert mm.loc[(g, t), "estimate"] == pytest.approx(value, rel=1e-9)
        assert mm.loc[(g, t), "n"] == 30
    assert list(mm.index.get_level_values("group").unique()) == ["b_ctl", "a_trt"]


def test_three_groups_give_one_between_row_per_group_and_wave() -> None:
    df = balanced()
    df["arm"] = np.repeat(["a", "b", "c"], 60)
    res = fit_lmm(df, "y", "arm", "wave", "id", time_levels=["pre", "post", "fu"])
    tab = contrasts(res)
    between = tab.query("contrast == 'between'")
    assert between["group"].tolist() == ["b - a", "c - a", "b - a", "c - a"]
    b = res.params
    row = between.iloc[1]  # c - a at post
    assert row["estimate"] == pytest.approx(b["arm[T.c]:wave[T.post]"], rel=1e-12)
    assert len(tab.query("contrast == 'within'")) == 3 * 2


def test_icc_twolevel_is_subject_share() -> None:
    res = fit("twolevel")
    vc = res.variance_components.set_index("component")["variance"]
    assert icc(res) == pytest.approx(vc["subject"] / vc.sum(), rel=1e-12)
    assert res.variance_components["proportion"].sum() == pytest.approx(1.0)


def test_contrast_groups_are_strings() -> None:
    tab = contrasts(fit("threelevel"))  # integer group levels 0 / 1
    assert tab["group"].map(type).eq(str).all()
    assert tab["group"].tolist()[:3] == ["0", "1", "1 - 0"]
    assert isinstance(tab, pd.DataFrame)


def test_contrasts_with_given_sd() -> None:
    res = fit("twolevel")
    tab = contrasts(res, sd=2.5)
    np.testing.assert_allclose(tab["d"], tab["estimate"] / 2.5, rtol=1e-12)
    np.testing.assert_allclose(tab["d_ci_upper"], tab["ci_upper"] / 2.5, rtol=1e-12)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="sd must be"):
            contrasts(res, sd=bad)


def test_icc_by_time_by_hand_per_wave() -> None:
    """With a variance per wave, the ICC at wave t is (cluster + cluster_time[t]) / total_t."""
    res = fit("clustertime_by_time")
    vc = res.variance_components.set_index("component")["variance"]
    out = icc_by_time(res).set_index("time")
    assert list(out.index) == list(res.time_levels)
    for t in res.time_levels:
        top = vc["cluster"] + vc[f"cluster_time[{t}]"]
        total = top + vc["subject"] + vc["residual"]
        assert out.loc[t, "top"] == pytest.approx(top, rel=1e-12)
        assert out.loc[t, "icc"] == pytest.approx(top / total, rel=1e-12)
    # at baseline it is the cluster x baseline share of the model-implied baseline variance
    base = res.time_levels[0]
    assert out.loc[base, "total"] == pytest.approx(res.total_variance, rel=1e-12)


def test_icc_by_time_common_and_without_cluster_time() -> None:
    common = fit("clustertime")
    vc = common.variance_components.set_index("component")["variance"]
    out = icc_by_time(common)
    expected = (vc["cluster"] + vc["cluster_time"]) / vc.sum()
    np.testing.assert_allclose(out["icc"], expected, rtol=1e-12)
    nested = fit("threelevel")
    vc = nested.variance_components.set_index("component")["variance"]
    out = icc_by_time(nested)
    np.testing.assert_allclose(out["icc"], vc["cluster"] / vc.sum(), rtol=1e-12)
    assert out["icc"].iloc[0] == pytest.approx(icc(nested), rel=1e-12)


def test_icc_by_time_twolevel_is_subject_share() -> None:
    res = fit("twolevel")
    vc = res.variance_components.set_index("component")["variance"]
    out = icc_by_time(res)
    np.testing.assert_allclose(out["icc"], vc["subject"] / vc.sum(), rtol=1e-12)
    assert list(out.columns) == ["outcome", "time", "top", "total", "icc"]
