"""Tests for mcbi.stats.lmm against lme4 reference fits and hand computations.

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

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mcbi.stats.lmm import LMMResult, contrasts, fit_lmm, holm, icc, marginal_means

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "lme4"
DATASETS = ["twolevel", "threelevel", "boundary", "clustertime", "clustertime_by_time"]
REL, ABS_NEAR_ZERO = 1e-4, 1e-6
SE_REL = 1e-6


@cache
def _reference(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@cache
def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.csv")


@cache
def _fit(name: str) -> LMMResult:
    ref = _reference(name)
    if name == "twolevel":
        return fit_lmm(
            _data(name), "y", "group", "time", "subject",
            group_levels=ref["group_levels"], time_levels=ref["time_levels"],
        )
    if name == "clustertime_by_time":  # waves pre/post/followup: not in sorted order
        return fit_lmm(_data(name), "y", "group", "time", "subject", "cluster",
                       time_levels=ref["time_levels"], cluster_time="by_time")
    # group 0/1 and time 0/1/2 are integers: the default (sorted) level order is lme4's.
    return fit_lmm(_data(name), "y", "group", "time", "subject", "cluster",
                   cluster_time=name == "clustertime")


def _python_term(r_term: str) -> str:
    """lme4 coefficient name -> mcbi.stats.lmm term name."""
    if r_term == "(Intercept)":
        return "Intercept"
    parts = []
    for piece in r_term.split(":"):
        var = "group" if piece.startswith("group") else "time"
        parts.append(f"{var}[T.{piece[len(var):]}]")
    return ":".join(parts)


def _assert_close(actual: float, expected: float, rel: float = REL) -> None:
    assert actual == pytest.approx(expected, rel=rel, abs=ABS_NEAR_ZERO)


# --------------------------------------------------------------------------- against lme4


def _dense_profile(sigma: np.ndarray, X: np.ndarray, y: np.ndarray):
    """Reference ML deviance, beta, sigma^2 and (X' V^-1 X)^-1 by dense algebra."""
    n = len(y)
    si = np.linalg.inv(sigma)
    xvx_inv = np.linalg.inv(X.T @ si @ X)
    beta = xvx_inv @ X.T @ si @ y
    r = y - X @ beta
    sigma2 = float(r @ si @ r) / n
    dev = np.linalg.slogdet(sigma)[1] + n * (1 + np.log(2 * np.pi) + np.log(sigma2))
    return dev, beta, sigma2, xvx_inv


@pytest.mark.parametrize("name", DATASETS)
def test_fixed_effects_match_lme4(name: str) -> None:
    ref, res = _reference(name), _fit(name)
    params = res.params
    assert list(params.index) == [_python_term(t) for t in ref["fixef"]]
    for r_term, value in ref["fixef"].items():
        _assert_close(params[_python_term(r_term)], value)


@pytest.mark.parametrize("name", DATASETS)
def test_variance_components_match_lme4(name: str) -> None:
    ref, res = _reference(name), _fit(name)
    vc = res.variance_components.set_index("component")
    assert set(vc.index) == set(ref["varcomp"])
    for comp, value in ref["varcomp"].items():
        _assert_close(vc.loc[comp, "variance"], value)
        _assert_close(vc.loc[comp, "sd"], np.sqrt(value))


@pytest.mark.parametrize("name", DATASETS)
def test_likelihood_and_counts_match_lme4(name: str) -> None:
    ref, res = _reference(name), _fit(name)
    assert res.converged
    assert res.loglik == pytest.approx(ref["loglik"], abs=1e-3)
    assert res.aic == pytest.approx(ref["aic"], abs=1e-3)
    assert res.bic == pytest.approx(ref["bic"], abs=1e-3)
    assert res.nobs == ref["nobs"] == _data(name)["y"].notna().sum()
    if name == "twolevel":
        assert res.n_subjects == ref["ngrps"]["subject"]
        assert res.n_clusters == 0
    else:
        # subject ids restart in every cluster: 121 subjects, not max(subject) of them
        assert res.n_subjects == ref["ngrps"]["cluster:subject"] == 121
        assert res.n_clusters == ref["ngrps"]["cluster"] == 63


@pytest.mark.parametrize("name", DATASETS)
def test_fixed_covariance_matches_lme4(name: str) -> None:
    ref, res = _reference(name), _fit(name)
    se = res.fixed.set_index("term")["se"]
    for r_term, value in ref["fixef_se"].items():
        assert se[_python_term(r_term)] == pytest.approx(value, rel=SE_REL)
    np.testing.assert_allclose(res.cov_fixed.to_numpy(), np.array(ref["vcov"]), rtol=SE_REL,
                               atol=1e-10)


@pytest.mark.parametrize("name", DATASETS)
def test_contrasts_match_lme4(name: str) -> None:
    ref, res = _reference(name), _fit(name)
    got = contrasts(res)
    want = pd.DataFrame(ref["contrasts"])
    assert got[["contrast", "group"]].values.tolist() == want[["contrast", "group"]].values.tolist()
    assert [str(t) for t in got["time"]] == want["time"].tolist()
    np.testing.assert_allclose(got["estimate"], want["estimate"], rtol=SE_REL, atol=1e-8)
    np.testing.assert_allclose(got["se"], want["se"], rtol=SE_REL)


def test_boundary_variance_is_zero_like_lme4() -> None:
    ref, res = _reference("boundary"), _fit("boundary")
    assert ref["singular"] is True
    vc = res.variance_components.set_index("component")["variance"]
    assert vc["cluster"] == pytest.approx(0.0, abs=ABS_NEAR_ZERO)
    assert vc["subject"] > 1.0
    assert icc(res) == pytest.approx(0.0, abs=1e-6)


def test_threelevel_icc_is_cluster_share() -> None:
    ref, res = _reference("threelevel"), _fit("threelevel")
    v = ref["varcomp"]
    expected = v["cluster"] / (v["cluster"] + v["subject"] + v["residual"])
    assert icc(res) == pytest.approx(expected, rel=REL)
    assert 0.10 < icc(res) < 0.25  # generated with a cluster ICC of 0.15


def test_reference_fixtures_record_versions() -> None:
    for name in DATASETS:
        ref = _reference(name)
        assert ref["R_version"].startswith("R version")
        assert ref["lme4_version"].count(".") >= 2
        assert ref["REML"] is False


# --------------------------------------------------------------------------- cluster x time


def test_clustertime_fixture_is_the_crossed_model() -> None:
    ref, res = _reference("clustertime"), _fit("clustertime")
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
    res = _fit("clustertime")
    v = _reference("clustertime")["varcomp"]
    total = v["cluster"] + v["subject"] + v["cluster_time"] + v["residual"]
    assert icc(res) == pytest.approx(v["cluster"] / total, rel=REL)  # cluster_time: not in it
    tab = contrasts(res)
    np.testing.assert_allclose(tab["d"], tab["estimate"] / np.sqrt(total), rtol=REL)
    k = 6 + 4  # fixed effects + cluster, subject, cluster_time, residual variances
    assert res.aic == pytest.approx(-2 * res.loglik + 2 * k)
    assert res.bic == pytest.approx(-2 * res.loglik + k * np.log(res.nobs))
    mm = marginal_means(res)
    assert len(mm) == 6 and (mm["se"] > 0).all()


def test_clustertime_deviance_matches_dense_computation() -> None:
    """The Woodbury/Cholesky deviance equals a dense-matrix GLS computation at any theta."""
    from mcbi.stats import lmm

    df = _data("clustertime").dropna(subset=["y"])
    X, _ = lmm._design(df, "group", "time", (0, 1), (0, 1, 2))
    y = df["y"].to_numpy()
    clus = pd.factorize(df["cluster"])[0]
    subj = pd.MultiIndex.from_arrays([df["cluster"], df["subject"]]).factorize()[0]
    tcode = df["time"].to_numpy()
    prof = lmm._CrossedProfile(X, y, subj, clus, tcode, 3)

    def same(a: np.ndarray) -> np.ndarray:
        return (a[:, None] == a[None, :]).astype(float)

    n = len(y)
    for theta in ([0.7, 1.3, 0.4], [0.0, 0.9, 1.1], [1.2, 0.0, 0.0]):
        a, b, c = np.square(theta)
        sigma = np.eye(n) + a * same(clus) + b * same(subj) + c * same(clus * 3 + tcode)
        dev, beta, sigma2, xvx_inv = _dense_profile(sigma, X, y)
        got = prof.parts(np.array(theta))
        assert got[0] == pytest.approx(dev, rel=1e-11)
        np.testing.assert_allclose(got[1], beta, rtol=1e-9, atol=1e-12)
        assert got[2] == pytest.approx(sigma2, rel=1e-10)
        np.testing.assert_allclose(got[3], xvx_inv, rtol=1e-9, atol=1e-13)


def test_clustertime_zero_variance_gives_the_nested_fit() -> None:
    # boundary.csv has no cluster x time variance; lme4 (checked by hand, tight bobyqa) puts
    # the cluster:time variance at exactly 0 there, with logLik -1098.2146 as the nested fit.
    nested = _fit("boundary")
    res = fit_lmm(_data("boundary"), "y", "group", "time", "subject", "cluster",
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


def test_cluster_time_needs_a_cluster() -> None:
    df = _balanced()
    with pytest.raises(ValueError, match="cluster_time"):
        fit_lmm(df, "y", "arm", "wave", "id", cluster_time=True)
    with pytest.raises(ValueError, match="True, False or 'by_time'"):
        fit_lmm(_data("clustertime"), "y", "group", "time", "subject", "cluster",
                cluster_time="yes")
    # one subject per cluster: every cluster x wave cell holds one observation
    with pytest.raises(ValueError, match="cluster x time levels"):
        fit_lmm(df.assign(ther=df["id"]), "y", "arm", "wave", "id", "ther", cluster_time=True)


# --------------------------------------------------------------- cluster x time by wave

BY_TIME = "clustertime_by_time"


def test_by_time_fixture_is_the_per_wave_model() -> None:
    ref, res = _reference(BY_TIME), _fit(BY_TIME)
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
    res = _fit(BY_TIME)
    v = _reference(BY_TIME)["varcomp"]
    # baseline total: cluster + subject + the baseline wave's cluster x time + residual
    total = v["cluster"] + v["subject"] + v["cluster_time[pre]"] + v["residual"]
    assert res.total_variance == pytest.approx(total, rel=REL)
    assert icc(res) == pytest.approx(v["cluster"] / total, rel=REL)
    tab = contrasts(res)
    np.testing.assert_allclose(tab["d"], tab["estimate"] / np.sqrt(total), rtol=REL)
    vc = res.variance_components.set_index("component")
    np.testing.assert_allclose(vc["proportion"], vc["variance"] / res.total_variance,
                               rtol=1e-12)
    baseline = ["cluster", "subject", "cluster_time[pre]", "residual"]
    assert vc.loc[baseline, "proportion"].sum() == pytest.approx(1.0)
    k = 6 + 6  # fixed effects + cluster, subject, 3 x cluster_time, residual variances
    assert res.aic == pytest.approx(-2 * res.loglik + 2 * k)
    assert res.bic == pytest.approx(-2 * res.loglik + k * np.log(res.nobs))


def _profiles(name: str, time_levels: tuple) -> tuple:
    from mcbi.stats import lmm

    df = _data(name).dropna(subset=["y"])
    X, _ = lmm._design(df, "group", "time", (0, 1), time_levels)
    y = df["y"].to_numpy()
    clus = pd.factorize(df["cluster"])[0]
    subj = pd.MultiIndex.from_arrays([df["cluster"], df["subject"]]).factorize()[0]
    tcode = df["time"].map({t: i for i, t in enumerate(time_levels)}).to_numpy()
    common = lmm._CrossedProfile(X, y, subj, clus, tcode, len(time_levels))
    by_time = lmm._CrossedProfile(X, y, subj, clus, tcode, len(time_levels), by_time=True)
    return X, y, clus, subj, tcode, common, by_time


def test_by_time_deviance_matches_dense_computation() -> None:
    """The per-wave Woodbury deviance equals a dense GLS computation at any theta."""
    X, y, clus, subj, tcode, common, prof = _profiles(BY_TIME, ("pre", "post", "followup"))

    def same(a: np.ndarray) -> np.ndarray:
        return (a[:, None] == a[None, :]).astype(float)

    n = len(y)
    for theta in ([0.7, 1.3, 0.2, 1.1, 0.5], [0.0, 0.9, 0.0, 1.4, 0.0], [1.2, 0.0, 0.3, 0.0, 2.0]):
        a, b = theta[0] ** 2, theta[1] ** 2
        sigma = np.eye(n) + a * same(clus) + b * same(subj)
        for t, c in enumerate(np.square(theta[2:])):
            at_t = (tcode == t).astype(float)
            sigma += c * same(clus) * np.outer(at_t, at_t)
        dev, beta, sigma2, xvx_inv = _dense_profile(sigma, X, y)
        got = prof.parts(np.array(theta))
        assert got[0] == pytest.approx(dev, rel=1e-11)
        assert prof.deviance(np.array(theta)) == pytest.approx(dev, rel=1e-11)
        np.testing.assert_allclose(got[1], beta, rtol=1e-9, atol=1e-12)
        assert got[2] == pytest.approx(sigma2, rel=1e-10)
        np.testing.assert_allclose(got[3], xvx_inv, rtol=1e-9, atol=1e-13)
    # equal per-wave values are the common-variance model (cluster_time=True)
    for theta in ([0.7, 1.3, 0.4], [0.0, 0.9, 1.1]):
        equal = np.array(theta[:2] + [theta[2]] * 3)
        assert prof.deviance(equal) == pytest.approx(common.deviance(np.array(theta)),
                                                      rel=1e-12)


@pytest.mark.parametrize("name", ["clustertime", BY_TIME])
def test_by_time_nests_the_common_variance_model(name: str) -> None:
    levels = {"time_levels": _reference(name)["time_levels"]} if name == BY_TIME else {}
    common = fit_lmm(_data(name), "y", "group", "time", "subject", "cluster",
                     cluster_time=True, **levels)
    res = _fit(name) if name == BY_TIME else fit_lmm(
        _data(name), "y", "group", "time", "subject", "cluster", cluster_time="by_time")
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
    res = fit_lmm(_data("boundary"), "y", "group", "time", "subject", "cluster",
                  cluster_time="by_time")
    assert res.converged
    vc = res.variance_components.set_index("component")["variance"]
    for comp in ("cluster", "cluster_time[0]", "cluster_time[1]"):
        assert vc[comp] == pytest.approx(0.0, abs=ABS_NEAR_ZERO)
    want = {"subject": 20.0786469012, "cluster_time[2]": 1.32261874213,
            "residual": 55.1648828837}
    for comp, value in want.items():
        _assert_close(vc[comp], value)
    assert res.loglik == pytest.approx(-1098.20339412, abs=1e-3)
    assert icc(res) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("value", ["yes", "by_wave", "BY_TIME", 1, 0, None, ("by_time",)])
def test_bad_cluster_time_value_raises(value) -> None:
    with pytest.raises(ValueError, match="cluster_time must be"):
        fit_lmm(_data(BY_TIME), "y", "group", "time", "subject", "cluster",
                cluster_time=value)


def test_by_time_needs_a_cluster_and_enough_cells() -> None:
    df = _balanced()
    with pytest.raises(ValueError, match="needs a cluster"):
        fit_lmm(df, "y", "arm", "wave", "id", cluster_time="by_time")
    # one subject per cluster: the per-wave cluster effects are confounded with the residual
    with pytest.raises(ValueError, match="cluster x time levels"):
        fit_lmm(df.assign(ther=df["id"]), "y", "arm", "wave", "id", "ther",
                cluster_time="by_time")
    # numpy booleans are accepted as before
    res = fit_lmm(_data("clustertime"), "y", "group", "time", "subject", "cluster",
                  cluster_time=np.bool_(True))
    assert res.cluster_time is True
    assert res.loglik == pytest.approx(_fit("clustertime").loglik, abs=1e-8)


# --------------------------------------------------------------------------- hand checks


def test_holm_hand_example() -> None:
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 -> max(0.06, 0.04) = 0.06
    got = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(got, [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(holm([0.5, 0.6]), [1.0, 1.0])  # capped at 1
    got = holm([0.02, np.nan, 0.01])  # NaN kept, not counted: m = 2
    np.testing.assert_allclose(got, [0.02, np.nan, 0.02])
    assert holm([]).shape == (0,)


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = np.random.default_rng(3).uniform(0, 0.2, size=15)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])


def test_contrasts_are_hand_combinations() -> None:
    res = _fit("twolevel")
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


def test_cohens_d_is_estimate_over_total_sd() -> None:
    res = _fit("threelevel")
    tab = contrasts(res)
    sd = np.sqrt(res.variance_components["variance"].sum())
    np.testing.assert_allclose(tab["d"], tab["estimate"] / sd, rtol=1e-12)
    np.testing.assert_allclose(tab["d_ci_lower"], tab["ci_lower"] / sd, rtol=1e-12)
    np.testing.assert_allclose(tab["d_ci_upper"], tab["ci_upper"] / sd, rtol=1e-12)
    assert (tab["outcome"] == "y").all()
    assert list(tab.columns) == [
        "outcome", "contrast", "group", "time", "estimate", "se", "statistic", "pvalue",
        "ci_lower", "ci_upper", "d", "d_ci_lower", "d_ci_upper",
    ]


def test_alpha_sets_interval_width() -> None:
    res = _fit("twolevel")
    tab = contrasts(res, alpha=0.10)
    np.testing.assert_allclose(tab["ci_upper"] - tab["estimate"], 1.6448536269514722 * tab["se"])
    with pytest.raises(ValueError, match="alpha"):
        contrasts(res, alpha=1.5)


def _balanced(seed: int = 0, n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": np.repeat(np.arange(2 * n), 3),
        "arm": np.repeat(["b_ctl", "a_trt"], 3 * n),
        "wave": np.tile(["pre", "post", "fu"], 2 * n),
    })
    df["y"] = (np.repeat(rng.normal(0, 2, 2 * n), 3) + rng.normal(0, 1, 6 * n)
               + (df["arm"] == "a_trt") * (df["wave"] != "pre") * 1.5)
    return df


def test_marginal_means_equal_cell_means_when_balanced() -> None:
    df = _balanced()
    levels = {"group_levels": ["b_ctl", "a_trt"], "time_levels": ["pre", "post", "fu"]}
    res = fit_lmm(df, "y", "arm", "wave", "id", **levels)
    mm = marginal_means(res).set_index(["group", "time"])
    cell = df.groupby(["arm", "wave"])["y"].mean()
    for (g, t), value in cell.items():
        assert mm.loc[(g, t), "estimate"] == pytest.approx(value, rel=1e-9)
        assert mm.loc[(g, t), "n"] == 30
    assert list(mm.index.get_level_values("group").unique()) == ["b_ctl", "a_trt"]


def test_level_order_defaults_and_reversal() -> None:
    df = _balanced()
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


def test_missing_outcomes_are_dropped() -> None:
    df = _data("twolevel")
    ref = _reference("twolevel")
    kw = {"group_levels": ref["group_levels"], "time_levels": ref["time_levels"]}
    a = fit_lmm(df.dropna(subset=["y"]), "y", "group", "time", "subject", **kw)
    b = _fit("twolevel")
    assert a.nobs == b.nobs < len(df)
    np.testing.assert_allclose(a.fixed["estimate"], b.fixed["estimate"], rtol=1e-10)


def test_twolevel_agrees_with_statsmodels_mixedlm() -> None:
    import statsmodels.formula.api as smf

    df = _data("twolevel").dropna(subset=["y"])
    sm = smf.mixedlm(
        "y ~ C(group, levels=['control', 'MCBI']) * C(time, levels=['pre', 'post', 'follow_up'])",
        df, groups="subject",
    ).fit(reml=False, method=["lbfgs"])
    res = _fit("twolevel")
    np.testing.assert_allclose(res.fixed["estimate"], sm.fe_params.to_numpy(), rtol=1e-4)
    assert res.loglik == pytest.approx(sm.llf, abs=1e-3)


def test_icc_twolevel_is_subject_share() -> None:
    res = _fit("twolevel")
    vc = res.variance_components.set_index("component")["variance"]
    assert icc(res) == pytest.approx(vc["subject"] / vc.sum(), rel=1e-12)
    assert res.variance_components["proportion"].sum() == pytest.approx(1.0)


def test_information_criteria_count_parameters_like_lme4() -> None:
    res = _fit("threelevel")
    k = 6 + 3  # fixed effects + cluster, subject, residual variances
    assert res.aic == pytest.approx(-2 * res.loglik + 2 * k)
    assert res.bic == pytest.approx(-2 * res.loglik + k * np.log(res.nobs))


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("mutate", "kwargs", "message"),
    [
        (lambda d: d, {"outcome": "nope"}, "not in data"),
        (lambda d: d, {"cluster": "therapist"}, "not in data"),
        (lambda d: d.assign(y=d["y"].astype(str)), {}, "numeric"),
        (lambda d: d.assign(y=np.nan), {}, "no observations"),
        (lambda d: d.assign(arm="only"), {}, "at least 2 group"),
        (lambda d: d.assign(wave="pre"), {}, "at least 2 time"),
        (lambda d: d, {"group_levels": ["b_ctl", "x"]}, "not in group_levels"),
        (lambda d: d, {"time_levels": ["pre", "post", "fu", "later"]}, "no observed outcome"),
        (lambda d: d.loc[~((d["arm"] == "a_trt") & (d["wave"] == "fu"))], {}, "cell"),
        (lambda d: d.assign(arm=d["arm"].where(d.index != 4)), {}, "missing values"),
        (lambda d: d.assign(y=d["y"].where(d.index != 0, np.inf)), {}, "infinite"),
        (lambda d: d.iloc[[3 * i + i % 3 for i in range(60)]], {}, "repeated observations"),
        (lambda d: d, {"alpha": 0}, "alpha"),
    ],
)
def test_bad_input_raises_value_error(mutate, kwargs, message) -> None:
    args = {"outcome": "y", "group": "arm", "time": "wave", "subject": "id"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        fit_lmm(mutate(_balanced()), **args)


def test_bad_input_not_a_dataframe_and_bad_pvalues() -> None:
    with pytest.raises(ValueError, match="DataFrame"):
        fit_lmm({"y": [1.0]}, "y", "g", "t", "s")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        holm([0.5, 1.2])
    with pytest.raises(ValueError, match="one-dimensional"):
        holm([[0.1, 0.2]])


def test_three_groups_give_one_between_row_per_group_and_wave() -> None:
    df = _balanced()
    df["arm"] = np.repeat(["a", "b", "c"], 60)
    res = fit_lmm(df, "y", "arm", "wave", "id", time_levels=["pre", "post", "fu"])
    tab = contrasts(res)
    between = tab.query("contrast == 'between'")
    assert between["group"].tolist() == ["b - a", "c - a", "b - a", "c - a"]
    b = res.params
    row = between.iloc[1]  # c - a at post
    assert row["estimate"] == pytest.approx(b["arm[T.c]:wave[T.post]"], rel=1e-12)
    assert len(tab.query("contrast == 'within'")) == 3 * 2


def test_docstring_examples_run() -> None:
    import doctest

    import mcbi.stats.lmm

    outcome = doctest.testmod(mcbi.stats.lmm)
    assert outcome.attempted > 0
    assert outcome.failed == 0
