"""Tests for mcbi.stats.lmm.fit_lmm against lme4 reference fits.

Reference chain: tests/fixtures/lme4/make_data.py (seeded) writes the CSVs,
tests/fixtures/lme4/fit_lme4.R fits them with lme4 (versions recorded in each JSON).

Tolerances per quantity (measured maximum deviation over the three nested fixtures in
brackets, then over ``clustertime``, the model with ``(1 | cluster:time)``, then over
``clustertime_by_time``, one cluster x time variance per wave; the R fits use tight bobyqa
tolerances, and lme4's default-control fits differ from them by up to 7e-6 relative in the
variance components, 1.6e-5 for ``clustertime``, 2.6e-4 for ``clustertime_by_time`` --
its small cluster variance, 0.040 -- so 1e-4 is tighter than lme4's default optimum there):
- fixed effects: 1e-4 relative, 1e-6 absolute near 0  [1.8e-8; clustertime 6.9e-9 relative;
  by_time 3.0e-7 relative (the intercept, 0.037)]
- variance components: 1e-4 relative, 1e-6 absolute near 0  [9.3e-8 relative; boundary: 0;
  clustertime 7.1e-8 relative; by_time 1.2e-6 relative (cluster, 0.040)]
- log-likelihood, AIC, BIC: 1e-3 absolute  [4.8e-12; clustertime 3.4e-13; by_time 8.0e-13]
- fixed-effect SEs, full vcov, contrast estimates and SEs: 1e-6 relative  [3.6e-8 relative;
  clustertime: SEs 4.3e-9, vcov 8.6e-9, contrast estimates 4.2e-8, contrast SEs 3.5e-9;
  by_time: SEs 4.8e-8, vcov 9.5e-8, contrast estimates 6.1e-8, contrast SEs 2.5e-8]
The by_time deviations are flatness of the likelihood, not a different optimum: our
deviance at lme4's theta is 9e-13 above our own minimum.
"""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest

from _lmm_helpers import (
    ABS_NEAR_ZERO,
    BY_TIME,
    DATASETS,
    REL,
    SE_REL,
    assert_close,
    balanced,
    data,
    fit,
    python_term,
    reference,
)
from mcbi.stats.lmm import contrasts, fit_lmm, icc, marginal_means

# --------------------------------------------------------------------------- against lme4


@pytest.mark.parametrize("name", DATASETS)
def test_fixed_effects_match_lme4(name: str) -> None:
    ref, res = reference(name), fit(name)
    params = res.params
    assert list(params.index) == [python_term(t) for t in ref["fixef"]]
    for r_term, value in ref["fixef"].items():
        assert_close(params[python_term(r_term)], value)


@pytest.mark.parametrize("name", DATASETS)
def test_variance_components_match_lme4(name: str) -> None:
    ref, res = reference(name), fit(name)
    vc = res.variance_components.set_index("component")
    assert set(vc.index) == set(ref["varcomp"])
    for comp, value in ref["varcomp"].items():
        assert_close(vc.loc[comp, "variance"], value)
        assert_close(vc.loc[comp, "sd"], np.sqrt(value))


@pytest.mark.parametrize("name", DATASETS)
def test_likelihood_and_counts_match_lme4(name: str) -> None:
    ref, res = reference(name), fit(name)
    assert res.converged
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-3)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-3)
    assert res.bic == pytest.approx(ref["bic"], abs=1e-3)
    assert res.nobs == ref["nobs"] == data(name)["y"].notna().sum()
    if name == "twolevel":
        assert res.n_subjects == ref["ngrps"]["subject"]
        assert res.n_clusters == 0
    else:
        # subject ids restart in every cluster: 121 subjects, not max(subject) of them
        assert res.n_subjects == ref["ngrps"]["cluster:subject"] == 121
        assert res.n_clusters == ref["ngrps"]["cluster"] == 63


@pytest.mark.parametrize("name", DATASETS)
def test_fixed_covariance_matches_lme4(name: str) -> None:
    ref, res = reference(name), fit(name)
    se = res.fixed.set_index("term")["se"]
    for r_term, value in ref["fixef_se"].items():
        assert se[python_term(r_term)] == pytest.approx(value, rel=SE_REL)
    np.testing.assert_allclose(res.cov_fixed.to_numpy(), np.array(ref["vcov"]), rtol=SE_REL,
                               atol=1e-10)


@pytest.mark.parametrize("name", DATASETS)
def test_contrasts_match_lme4(name: str) -> None:
    ref, res = reference(name), fit(name)
    got = contrasts(res)
    want = pd.DataFrame(ref["contrasts"])
    assert got[["contrast", "group"]].values.tolist() == want[["contrast", "group"]].values.tolist()
    assert [str(t) for t in got["time"]] == want["time"].tolist()
    np.testing.assert_allclose(got["estimate"], want["estimate"], rtol=SE_REL, atol=1e-8)
    np.testing.assert_allclose(got["se"], want["se"], rtol=SE_REL)


def test_boundary_variance_is_zero_like_lme4() -> None:
    ref, res = reference("boundary"), fit("boundary")
    assert ref["singular"] is True
    vc = res.variance_components.set_index("component")["variance"]
    assert vc["cluster"] == pytest.approx(0.0, abs=ABS_NEAR_ZERO)
    assert vc["subject"] > 1.0
    assert icc(res) == pytest.approx(0.0, abs=1e-6)


def test_threelevel_icc_is_cluster_share() -> None:
    ref, res = reference("threelevel"), fit("threelevel")
    v = ref["varcomp"]
    expected = v["cluster"] / (v["cluster"] + v["subject"] + v["residual"])
    assert icc(res) == pytest.approx(expected, rel=REL)
    assert 0.10 < icc(res) < 0.25  # generated with a cluster ICC of 0.15


def test_reference_fixtures_record_versions() -> None:
    for name in DATASETS:
        ref = reference(name)
        assert ref["R_version"].startswith("R version")
        assert ref["lme4_version"].count(".") >= 2
        assert ref["REML"] is False


def test_twolevel_agrees_with_statsmodels_mixedlm() -> None:
    import statsmodels.formula.api as smf

    df = data("twolevel").dropna(subset=["y"])
    sm = smf.mixedlm(
        "y ~ C(group, levels=['control', 'MCBI']) * C(time, levels=['pre', 'post', 'follow_up'])",
        df, groups="subject",
    ).fit(reml=False, method=["lbfgs"])
    res = fit("twolevel")
    np.testing.assert_allclose(res.fixed["estimate"], sm.fe_params.to_numpy(), rtol=1e-4)
    assert res.loglik == pytest.approx(sm.llf, abs=1e-3)


def test_information_criteria_count_parameters_like_lme4() -> None:
    res = fit("threelevel")
    k = 6 + 3  # fixed effects + cluster, subject, residual variances
    assert res.aic == pytest.approx(-2 * res.loglik + 2 * k)
    assert res.bic == pytest.approx(-2 * res.loglik + k * np.log(res.nobs))


def test_missing_outcomes_are_dropped() -> None:
    df = data("twolevel")
    ref = reference("twolevel")
    kw = {"group_levels": ref["group_levels"], "time_levels": ref["time_levels"]}
    a = fit_lmm(df.dropna(subset=["y"]), "y", "group", "time", "subject", **kw)
    b = fit("twolevel")
    assert a.nobs == b.nobs < len(df)
    np.testing.assert_allclose(a.fixed["estimate"], b.fixed["estimate"], rtol=1e-10)


def test_level_order_defaults_and_reversal() -> None:
    df = balanced()
    default = fit_lmm(df, "y", "arm", "wave", "id")  # sorted: a_trt is reference, fu baseline
    assert default.group_levels == ("a_trt", "b_ctl")
    assert default.time_levels == ("fu", "post", "pre")
    cat = df.assign(wave=pd.Categorical(df["wave"], categories=["pre", "post", "fu"]))
    res = fit_lmm(cat, "y", "arm", "wave", "id", group_levels=["b_ctl", "a_trt"])
    assert res.time_levels == ("pre", "post", "fu")
    flipped = fit_lmm(cat, "y", "arm", "wave", "id", group_levels=["a_trt", "b_ctl"])
    a = contrasts(res).query("contrast == 'between'")
    b = contrasts(flipped).query("contrast == 'between'")
    assert a["group"].tolist() == ["a_trt - b_ctl"] * 2
    np.testing.assert_allclose(a["estimate"].to_numpy(), -b["estimate"].to_numpy(), rtol=1e-8)
    assert res.loglik == pytest.approx(flipped.loglik, abs=1e-8)


# --------------------------------------------------------------------------- cluster x time


def test_clustertime_fixture_is_the_crossed_model() -> None:
    ref, res = reference("clustertime"), fit("clustertime")
    assert ref["formula"].endswith("(1 | cluster:time)")
    assert ref["singular"] is False
    assert res.cluster_time is True
    assert res.variance_components["component"].tolist() == [
        "cluster", "subject", "cluster_time", "residual"]
    # generated with SDs 0.4 / 0.6 / 0.5 / 0.7: the cluster x time component is sizeable
    assert res.variance_components.set_index("component").loc["cluster_time", "sd"] > 0.3
    assert "cluster x time" in repr(res)
    assert ref["ngrps"]["cluster:time"] == 177  # cluster-wave cells with an observation


def test_clustertime_icc_d_and_information_criteria() -> None:
    res = fit("clustertime")
    v = reference("clustertime")["varcomp"]
    total = v["cluster"] + v["subject"] + v["cluster_time"] + v["residual"]
    assert icc(res) == pytest.approx(v["cluster"] / total, rel=REL)  # cluster_time: not in it
    tab = contrasts(res, sd=np.sqrt(res.total_variance))  # d on the model-implied SD
    np.testing.assert_allclose(tab["d"], tab["estimate"] / np.sqrt(total), rtol=REL)
    k = 6 + 4  # fixed effects + cluster, subject, cluster_time, residual variances
    assert res.aic == pytest.approx(-2 * res.loglik + 2 * k)
    assert res.bic == pytest.approx(-2 * res.loglik + k * np.log(res.nobs))
    mm = marginal_means(res)
    assert len(mm) == 6 and (mm["se"] > 0).all()


def test_clustertime_zero_variance_gives_the_nested_fit() -> None:
    # boundary.csv has no cluster x time variance; lme4 (checked by hand, tight bobyqa) puts
    # the cluster:time variance at exactly 0 there, with logLik -1098.2146 as the nested fit.
    nested = fit("boundary")
    res = fit_lmm(data("boundary"), "y", "group", "time", "subject", "cluster",
                  cluster_time=True)
    assert res.converged
    vc = res.variance_components.set_index("component")["variance"]
    assert vc["cluster_time"] == pytest.approx(0.0, abs=ABS_NEAR_ZERO)
    assert vc["cluster"] == pytest.approx(0.0, abs=ABS_NEAR_ZERO)
    ref = nested.variance_components.set_index("component")["variance"]
    for comp in ("subject", "residual"):
        assert vc[comp] == pytest.approx(ref[comp], rel=1e-6)
    assert res.loglik == pytest.approx(nested.loglik, abs=1e-8)
    np.testing.assert_allclose(res.fixed["estimate"], nested.fixed["estimate"], rtol=1e-6,
                               atol=1e-8)
    np.testing.assert_allclose(res.cov_fixed, nested.cov_fixed, rtol=1e-6)
    np.testing.assert_allclose(contrasts(res)["se"], contrasts(nested)["se"], rtol=1e-6)
    assert res.aic == pytest.approx(nested.aic + 2)  # one more variance parameter


# --------------------------------------------------------------- cluster x time by wave


def test_by_time_fixture_is_the_per_wave_model() -> None:
    ref, res = reference(BY_TIME), fit(BY_TIME)
    for wave in ("pre", "post", "followup"):
        assert f'(0 + dummy(time, "{wave}") | cluster)' in ref["formula"]
    assert ref["singular"] is False
    assert res.cluster_time == "by_time"
    assert res.time_levels == ("pre", "post", "followup")
    assert res.variance_components["component"].tolist() == [
        "cluster", "subject", "cluster_time[pre]", "cluster_time[post]",
        "cluster_time[followup]", "residual"]
    # generated with cluster x time SDs 0.2 / 0.7 / 0.35
    sd = res.variance_components.set_index("component")["sd"]
    assert sd["cluster_time[pre]"] < sd["cluster_time[followup]"] < sd["cluster_time[post]"]
    assert "cluster x time by wave" in repr(res)


def test_by_time_icc_d_total_and_information_criteria() -> None:
    res = fit(BY_TIME)
    v = reference(BY_TIME)["varcomp"]
    # baseline total: cluster + subject + the baseline wave's cluster x time + residual
    total = v["cluster"] + v["subject"] + v["cluster_time[pre]"] + v["residual"]
    assert res.total_variance == pytest.approx(total, rel=REL)
    assert icc(res) == pytest.approx(v["cluster"] / total, rel=REL)
    tab = contrasts(res, sd=np.sqrt(res.total_variance))  # d on the model-implied SD
    np.testing.assert_allclose(tab["d"], tab["estimate"] / np.sqrt(total), rtol=REL)
    vc = res.variance_components.set_index("component")
    np.testing.assert_allclose(vc["proportion"], vc["variance"] / res.total_variance,
                               rtol=1e-12)
    baseline = ["cluster", "subject", "cluster_time[pre]", "residual"]
    assert vc.loc[baseline, "proportion"].sum() == pytest.approx(1.0)
    k = 6 + 6  # fixed effects + cluster, subject, 3 x cluster_time, residual variances
    assert res.aic == pytest.approx(-2 * res.loglik + 2 * k)
    assert res.bic == pytest.approx(-2 * res.loglik + k * np.log(res.nobs))


@pytest.mark.parametrize("name", ["clustertime", BY_TIME])
def test_by_time_nests_the_common_variance_model(name: str) -> None:
    levels = {"time_levels": reference(name)["time_levels"]} if name == BY_TIME else {}
    common = fit_lmm(data(name), "y", "group", "time", "subject", "cluster",
                     cluster_time=True, **levels)
    res = fit(name) if name == BY_TIME else fit_lmm(
        data(name), "y", "group", "time", "subject", "cluster", cluster_time="by_time")
    assert res.converged and common.converged
    assert res.loglik >= common.loglik - 1e-6
    # two more variance parameters (one per wave instead of one in all)
    assert res.aic - common.aic == pytest.approx(-2 * (res.loglik - common.loglik) + 4)
    if name == "clustertime":  # one common cluster x time SD (0.5) in the generator
        assert res.loglik - common.loglik < 3.0  # LR statistic < 6 on 2 df
    else:  # SDs 0.2 / 0.7 / 0.35 in the generator: the per-wave model fits clearly better
        assert res.loglik - common.loglik > 2.0


def test_by_time_zero_variances_like_lme4() -> None:
    # boundary.csv with the per-wave model: lme4 (tight bobyqa, by hand, lme4 1.1.31:
    # lmer(y ~ group * time + (1 | cluster) + (1 | cluster:subject) + (0 + dummy(time, "0") |
    # cluster) + (0 + dummy(time, "1") | cluster) + (0 + dummy(time, "2") | cluster),
    # REML = FALSE)) gives a singular fit: cluster, cluster_time[0] and cluster_time[1] at 0
    # (6.1e-13), subject 20.0786469012, cluster_time[2] 1.32261874213, residual
    # 55.1648828837, logLik -1098.20339412.
    res = fit_lmm(data("boundary"), "y", "group", "time", "subject", "cluster",
                  cluster_time="by_time")
    assert res.converged
    vc = res.variance_components.set_index("component")["variance"]
    for comp in ("cluster", "cluster_time[0]", "cluster_time[1]"):
        assert vc[comp] == pytest.approx(0.0, abs=ABS_NEAR_ZERO)
    want = {"subject": 20.0786469012, "cluster_time[2]": 1.32261874213,
            "residual": 55.1648828837}
    for comp, value in want.items():
        assert_close(vc[comp], value)
    assert res.loglik == pytest.approx(-1098.20339412, abs=1e-3)
    assert icc(res) == pytest.approx(0.0, abs=1e-6)


def test_numpy_bool_cluster_time_is_accepted() -> None:
    res = fit_lmm(data("clustertime"), "y", "group", "time", "subject", "cluster",
                  cluster_time=np.bool_(True))
    assert res.cluster_time is True
    assert res.loglik == pytest.approx(fit("clustertime").loglik, abs=1e-8)


# --------------------------------------------------------------------------- the package


def test_public_api_and_holm_alias() -> None:
    import mcbi.stats.lmm as lmm
    from mcbi.stats import multitest

    assert set(lmm.__all__) >= {"LMMResult", "fit_lmm", "contrasts", "marginal_means", "icc",
                                "holm"}
    assert lmm.holm is multitest.holm


@pytest.mark.parametrize("module", ["deviance", "fit", "summaries"])
def test_docstring_examples_run(module: str) -> None:
    outcome = doctest.testmod(importlib.import_module(f"mcbi.stats.lmm.{module}"))
    assert outcome.attempted > 0
    assert outcome.failed == 0
