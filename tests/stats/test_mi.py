"""Multiple imputation: Rubin's rules against a hand computation, the imputation draws and the
analysis of completed data sets."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mcbi.stats.lmm import contrasts, fit_lmm
from mcbi.stats.mi import IMPUTATION, IMPUTED, impute_lmm, mi_contrasts, pool, rubin


def test_rubin_matches_a_hand_computation() -> None:
    q, u, nu_com, m = [1.0, 1.2, 0.8], [0.04, 0.05, 0.06], 30.0, 3
    # by hand: mean 1.0; within 0.05; between ((0)^2 + 0.2^2 + 0.2^2) / 2 = 0.04
    total = 0.05 + (1 + 1 / 3) * 0.04  # 0.10333...
    lam = (1 + 1 / 3) * 0.04 / total
    nu_old = (m - 1) / lam**2
    nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lam)
    df = 1 / (1 / nu_old + 1 / nu_obs)
    riv = (1 + 1 / 3) * 0.04 / 0.05
    row = rubin(q, u, df_complete=nu_com).iloc[0]
    assert row["estimate"] == pytest.approx(1.0)
    assert row["within"] == pytest.approx(0.05)
    assert row["between"] == pytest.approx(0.04)
    assert row["total"] == pytest.approx(total)
    assert row["se"] == pytest.approx(math.sqrt(total))
    assert row["lambda"] == pytest.approx(lam)
    assert row["riv"] == pytest.approx(riv)
    assert row["df"] == pytest.approx(df)
    assert df == pytest.approx(4.8420, abs=1e-4)  # lambda .516, nu_old 7.508, nu_obs 13.636
    assert row["fmi"] == pytest.approx((riv + 2 / (df + 3)) / (riv + 1))
    t = 1.0 / math.sqrt(total)
    assert row["pvalue"] == pytest.approx(2 * stats.t.sf(t, df))
    half = stats.t.ppf(0.975, df) * math.sqrt(total)
    assert row["ci_lower"] == pytest.approx(1.0 - half)
    assert row["ci_upper"] == pytest.approx(1.0 + half)


def test_rubin_without_complete_data_df_is_rubins_1987() -> None:
    row = rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.06]).iloc[0]
    lam = (4 / 3) * 0.04 / (0.05 + (4 / 3) * 0.04)
    assert row["df"] == pytest.approx(2 / lam**2)


def test_rubin_with_identical_imputations_is_the_complete_data_test() -> None:
    row = rubin([0.5, 0.5], [0.04, 0.04], df_complete=20).iloc[0]
    assert row["between"] == 0.0
    assert row["se"] == pytest.approx(0.2)
    assert row["df"] == pytest.approx(21 / 23 * 20)  # Barnard-Rubin's nu_obs with lambda = 0
    z = rubin([0.5, 0.5], [0.04, 0.04]).iloc[0]
    assert math.isinf(z["df"])
    assert z["pvalue"] == pytest.approx(2 * stats.norm.sf(2.5))


@pytest.mark.parametrize("kwargs, match", [
    ({"estimates": [1.0], "variances": [0.1]}, "at least 2"),
    ({"estimates": [1.0, 2.0], "variances": [0.1]}, "equal length"),
    ({"estimates": [1.0, 2.0], "variances": [0.1, -0.1]}, "non-negative"),
    ({"estimates": [1.0, np.nan], "variances": [0.1, 0.1]}, "finite"),
    ({"estimates": [1.0, 2.0], "variances": [0.1, 0.1], "df_complete": 0}, "df_complete"),
    ({"estimates": [1.0, 2.0], "variances": [0.1, 0.1], "alpha": 1.5}, "alpha"),
])
def test_rubin_refuses_bad_input(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        rubin(**kwargs)


def test_pool_pools_each_group_and_refuses_repeats() -> None:
    table = pd.DataFrame({"imputation": [1, 2, 3, 1, 2, 3], "k": list("aaabbb"),
                          "estimate": [1.0, 1.2, 0.8, 2.0, 2.0, 2.0],
                          "se": np.sqrt([0.04, 0.05, 0.06, 0.01, 0.01, 0.01]),
                          "df": [30.0] * 6})
    out = pool(table, ["k"], df="df")
    assert list(out["k"]) == ["a", "b"]
    assert out["estimate"].tolist() == pytest.approx([1.0, 2.0])
    assert out["df"].iloc[0] == pytest.approx(rubin([1.0, 1.2, 0.8], [0.04, 0.05, 0.06],
                                                    30.0)["df"].iloc[0])
    with pytest.raises(ValueError, match="repeated"):
        pool(pd.concat([table, table.iloc[:1]]), ["k"])
    with pytest.raises(ValueError, match="not in the table"):
        pool(table, ["nope"])


def _two_level(seed: int = 3, n: int = 40, missing: float = 0.25) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"id": np.repeat(np.arange(n), 3), "arm": np.repeat(["c", "t"], 3 * n // 2),
                       "wave": np.tile(["a", "b", "c"], n)})
    df["y"] = (np.repeat(rng.normal(size=n), 3) + rng.normal(size=3 * n)
               + 0.5 * ((df["arm"] == "t") & (df["wave"] != "a")))
    drop = (df["wave"] != "a") & (rng.random(3 * n) < missing)
    df.loc[drop, "y"] = np.nan
    return df


def test_impute_keeps_observed_values_and_fills_every_cell() -> None:
    df = _two_level().drop(index=[5, 8])  # two rows absent altogether
    fit = fit_lmm(df, "y", "arm", "wave", "id", time_levels=["a", "b", "c"], reml=True)
    done = impute_lmm(fit, df, m=4, seed=1)
    assert len(done) == 4 * 40 * 3
    assert not done["y"].isna().any()
    assert sorted(done[IMPUTATION].unique()) == [1, 2, 3, 4]
    one = done[done[IMPUTATION] == 2].merge(df, on=["id", "arm", "wave"], how="left",
                                           suffixes=("", "_obs"))
    seen = one["y_obs"].notna()
    assert (one.loc[seen, "y"] == one.loc[seen, "y_obs"]).all()
    assert (one[IMPUTED] == ~seen).all()
    assert (done.groupby(IMPUTATION)[IMPUTED].sum() == (~seen).sum()).all()


def test_impute_draws_from_the_conditional_distribution() -> None:
    df = _two_level(seed=5, n=60)
    fit = fit_lmm(df, "y", "arm", "wave", "id", time_levels=["a", "b", "c"])
    done = impute_lmm(fit, df, m=2000, seed=2)
    vc = fit.variance_components.set_index("component")["variance"]
    tau2, s2 = vc["subject"], vc["residual"]
    beta = fit.params
    # a unit of the control arm seen at baseline only: E[y_b | y_a] with a random intercept
    unit = df.groupby("id")["y"].count().pipe(lambda c: c[c == 1].index)
    unit = next(i for i in unit if df.loc[df["id"] == i, "arm"].iloc[0] == "c")
    y_a = df.loc[(df["id"] == unit) & (df["wave"] == "a"), "y"].iloc[0]
    mu_a, mu_b = beta["Intercept"], beta["Intercept"] + beta["wave[T.b]"]
    expected = mu_b + tau2 / (tau2 + s2) * (y_a - mu_a)
    cond_var = tau2 + s2 - tau2**2 / (tau2 + s2)
    drawn = done.loc[(done["id"] == unit) & (done["wave"] == "b"), "y"]
    beta_var = fit.cov_fixed.loc["Intercept", "Intercept"]  # order of the extra spread
    assert drawn.mean() == pytest.approx(expected, abs=4 * math.sqrt((cond_var + 4 * beta_var)
                                                                     / len(drawn)))
    assert drawn.var() == pytest.approx(cond_var, rel=0.15)


def test_impute_three_level_uses_the_cluster() -> None:
    rng = np.random.default_rng(4)
    rows = []
    for c in range(24):
        for s in range(3):
            for w in ("a", "b"):
                rows.append((f"c{c}", f"c{c}s{s}", "t" if c % 2 else "c", w))
    df = pd.DataFrame(rows, columns=["clu", "sub", "arm", "wave"])
    df["y"] = (df["clu"].map({f"c{c}": v for c, v in enumerate(rng.normal(size=24))})
               + rng.normal(size=len(df)))
    df.loc[rng.random(len(df)) < 0.2, "y"] = np.nan
    fit = fit_lmm(df, "y", "arm", "wave", "sub", "clu", cluster_time=True, reml=True)
    done = impute_lmm(fit, df, m=3, seed=0)
    assert len(done) == 3 * len(df) and not done["y"].isna().any()


def test_impute_refuses_bad_input() -> None:
    df = _two_level()
    fit = fit_lmm(df, "y", "arm", "wave", "id")
    with pytest.raises(ValueError, match="at least 2"):
        impute_lmm(fit, df, m=1)
    clash = df.copy()
    clash.loc[0, "arm"] = "t"
    with pytest.raises(ValueError, match="more than one level"):
        impute_lmm(fit, clash, m=2)
    with pytest.raises(ValueError, match="not in data"):
        impute_lmm(fit, df.drop(columns="wave"), m=2)


def test_mi_contrasts_first_set_is_the_fit_and_others_close_to_their_own_fits() -> None:
    df = _two_level(seed=7, n=50)
    fit = fit_lmm(df, "y", "arm", "wave", "id", reml=True)
    done = impute_lmm(fit, df, m=3, seed=3)
    per = mi_contrasts(done, "y", "arm", "wave", "id", reml=True, ddf="kenward-roger")
    for i in (1, 2):
        own = contrasts(fit_lmm(done[done[IMPUTATION] == i], "y", "arm", "wave", "id",
                                reml=True), ddf="kenward-roger")
        mine = per[per[IMPUTATION] == i]
        # later sets use the first set's variance components: close to their own fit, not equal
        tol = 1e-10 if i == 1 else 0.1
        assert mine["estimate"].to_numpy() == pytest.approx(own["estimate"].to_numpy(), abs=tol)
        assert mine["se"].to_numpy() == pytest.approx(own["se"].to_numpy(), rel=tol)
    assert set(per.columns) >= {"imputation", "contrast", "time", "estimate", "se", "df"}
    pooled = pool(per[per["contrast"] == "between"], ["time"], df="df")
    assert len(pooled) == 2 and pooled["df"].gt(0).all()


def test_mi_contrasts_warm_started_from_the_imputation_model_gives_the_same_result() -> None:
    df = _two_level(seed=7, n=50)
    fit = fit_lmm(df, "y", "arm", "wave", "id", reml=True)
    done = impute_lmm(fit, df, m=3, seed=3)
    cold = mi_contrasts(done, "y", "arm", "wave", "id", reml=True, ddf="kenward-roger")
    warm = mi_contrasts(done, "y", "arm", "wave", "id", reml=True, ddf="kenward-roger",
                        start=fit.optsummary.final)
    for col in ("estimate", "se", "df", "pvalue"):
        assert warm[col].to_numpy() == pytest.approx(cold[col].to_numpy(), rel=1e-6)


def test_mi_contrasts_refuses_incomplete_or_unequal_sets() -> None:
    df = _two_level()
    fit = fit_lmm(df, "y", "arm", "wave", "id")
    done = impute_lmm(fit, df, m=2, seed=0)
    with pytest.raises(ValueError, match="missing values"):
        mi_contrasts(done.assign(y=df["y"].tolist() * 2), "y", "arm", "wave", "id")
    with pytest.raises(ValueError, match="same rows"):
        mi_contrasts(done.drop(index=done.index[-1]), "y", "arm", "wave", "id")


def test_multiple_imputation_under_mar_agrees_with_the_direct_likelihood_fit() -> None:
    df = _two_level(seed=11, n=60, missing=0.3)
    fit = fit_lmm(df, "y", "arm", "wave", "id", reml=True)
    direct = contrasts(fit, ddf="kenward-roger")
    direct = direct[direct["contrast"] == "between"].reset_index(drop=True)
    done = impute_lmm(fit, df, m=40, seed=8)
    per = mi_contrasts(done, "y", "arm", "wave", "id", reml=True, ddf="kenward-roger")
    pooled = pool(per[per["contrast"] == "between"], ["time"], df="df")
    diff = (pooled["estimate"] - direct["estimate"]).abs() / direct["se"]
    assert (diff < 0.3).all()
    assert (pooled["se"] / direct["se"]).between(0.85, 1.2).all()
    assert (pooled["fmi"] > 0).all()
