"""Admissible estimation: bounds="pos.var", multi-start, fixed parameters, CI level.

The reference where an unbounded solution is inadmissible is a brute-force maximisation:
an independent dense implementation of the two-level normal likelihood (each cluster's
stacked vector (x_j, m_1j, y_1j, ...) as one multivariate normal, msem.md) maximised by
scipy's L-BFGS-B from many random starts with the same bounds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from _msem_helpers import brute_force_logl, quiet_fit
from mcbi.stats.msem import fit

MODEL = """
level: 1
  y ~ bw*m
level: 2
  m ~ a*x
  y ~ b*m
ab := a*b
vy := vyb
vm := vmb
level: 2
  y ~~ vyb*y
  m ~~ vmb*m
"""
# free parameters of the brute-force parametrisation, in this order
NAMES = ["vmw", "bw", "vyw", "vx", "a", "vmb", "b", "vyb", "mx", "im", "iy"]
VARIANCES = {"vmw": 1e-4, "vyw": 1e-4, "vx": 1e-4, "vmb": 0.0, "vyb": 0.0}


def _data(seed: int, n_clusters: int = 30, vyb: float = 0.0, vmb: float = 0.16) -> pd.DataFrame:
    """2-1-1 data; by default y has no between-level residual variance (true vyb = 0)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 4, n_clusters)
    g = np.repeat(np.arange(n_clusters), sizes)
    x = rng.normal(size=n_clusters)
    mb = 0.5 * x + np.sqrt(vmb) * rng.normal(size=n_clusters)
    yb = 0.4 * mb + np.sqrt(vyb) * rng.normal(size=n_clusters)
    mw = rng.normal(size=len(g))
    yw = 0.3 * mw + rng.normal(size=len(g))
    return pd.DataFrame({"cluster": g, "x": x[g], "m": mb[g] + mw, "y": yb[g] + yw})


def _minus2ll(p: np.ndarray, data: pd.DataFrame) -> float:
    """Independent −2 log L: one dense normal density per cluster."""
    vmw, bw, vyw, vx, a, vmb, b, vyb, mx, im, iy = p
    sw = np.array([[vmw, bw * vmw], [bw * vmw, bw**2 * vmw + vyw]])
    vm = a**2 * vx + vmb
    sb = np.array([[vm, b * vm], [b * vm, b**2 * vm + vyb]])
    szy = np.array([a * vx, b * a * vx])
    mu_m = im + a * mx
    mu = np.array([mu_m, iy + b * mu_m])
    total = 0.0
    for n, vecs in _stacked(data).items():  # clusters of one size share the covariance
        cov = np.kron(np.ones((n, n)), sb) + np.kron(np.eye(n), sw)
        full = np.block([[np.array([[vx]]), np.tile(szy, n)[None]],
                         [np.tile(szy, n)[:, None], cov]])
        mean = np.concatenate([[mx], np.tile(mu, n)])
        try:
            total += -2 * stats.multivariate_normal(mean, full).logpdf(vecs).sum()
        except (ValueError, np.linalg.LinAlgError):
            return 1e10
    return total


_STACKED: dict[int, dict[int, np.ndarray]] = {}


def _stacked(data: pd.DataFrame) -> dict[int, np.ndarray]:
    """(x_j, m_1j, y_1j, ..., m_nj, y_nj) of every cluster, grouped by size n."""
    key = id(data)
    if key not in _STACKED:
        out: dict[int, list] = {}
        for _, grp in data.groupby("cluster"):
            vec = np.concatenate([[grp["x"].iloc[0]], grp[["m", "y"]].to_numpy().ravel()])
            out.setdefault(len(grp), []).append(vec)
        _STACKED[key] = {n: np.atleast_2d(np.array(v)) for n, v in out.items()}
    return _STACKED[key]


def _brute_force(data: pd.DataFrame, n_starts: int = 12, seed: int = 0) -> float:
    """Largest log L over random starts, variances bounded as in ``bounds="pos.var"``."""
    rng = np.random.default_rng(seed)
    box = [(VARIANCES[n], None) if n in VARIANCES else (None, None) for n in NAMES]
    starts = []
    for _ in range(n_starts):
        p0 = rng.normal(0, 0.5, len(NAMES))
        for k, n in enumerate(NAMES):
            if n in VARIANCES:
                p0[k] = rng.uniform(0.05, 1.5)
        starts.append(p0)
    return brute_force_logl(_minus2ll, (data,), box, starts)


HEYWOOD_SEED = 22  # a draw whose unrestricted optimum has vyb < 0 (checked below)


@pytest.fixture(scope="module")
def heywood():
    data = _data(HEYWOOD_SEED)
    return data, quiet_fit(MODEL, data), quiet_fit(MODEL, data, bounds="pos.var", starts="multi")


def test_unbounded_fit_of_the_test_data_is_a_heywood_case(heywood):
    _, free, _ = heywood
    vyb = free.estimates.set_index("label").loc["vyb", "estimate"]
    assert vyb < 0
    assert not free.admissible
    assert any("negative variance" in r for r in free.inadmissible)


def test_bounded_fit_is_admissible_and_flags_the_bound(heywood):
    _, free, bounded = heywood
    est = bounded.estimates.set_index("label")
    assert bounded.converged and bounded.admissible
    assert est.loc["vyb", "estimate"] == pytest.approx(0.0, abs=1e-8)
    flagged = bounded.estimates[bounded.at_bound]
    assert "y" in set(flagged["lhs"])  # the negative between variance ends on its bound
    assert (flagged["op"] == "~~").all() and (flagged["lhs"] == flagged["rhs"]).all()
    assert (flagged["op"] == "~~").all() and (flagged["level"] == 2).all()
    assert (flagged["estimate"] == 0.0).all()
    assert flagged[["se", "statistic", "pvalue", "ci_lower", "ci_upper"]].isna().all().all()
    interior = (bounded.estimates["free"] > 0) & ~bounded.at_bound
    assert np.isfinite(bounded.estimates.loc[interior, "se"]).all()
    # a bound can only lower the maximum
    assert bounded.fit_measures["logl"] <= free.fit_measures["logl"] + 1e-8


def test_bounded_maximum_matches_brute_force(heywood):
    data, _, bounded = heywood
    assert bounded.fit_measures["logl"] == pytest.approx(_brute_force(data), abs=1e-4)


def test_fixing_the_bound_parameter_at_zero_gives_the_same_fit(heywood):
    data, _, bounded = heywood
    fixed = quiet_fit(MODEL.replace("y ~~ vyb*y", "y ~~ 0*y").replace("vy := vyb\n", ""),
                      data, bounds="pos.var")
    row = fixed.estimates[(fixed.estimates["op"] == "~~") & (fixed.estimates["lhs"] == "y")
                          & (fixed.estimates["rhs"] == "y") & (fixed.estimates["level"] == 2)]
    assert row["free"].iloc[0] == 0 and row["estimate"].iloc[0] == 0.0
    assert fixed.fit_measures["npar"] == bounded.fit_measures["npar"] - 1
    assert fixed.fit_measures["logl"] == pytest.approx(bounded.fit_measures["logl"], abs=1e-5)
    a_fixed = fixed.estimates.set_index("label").loc["a"]
    a_bound = bounded.estimates.set_index("label").loc["a"]
    assert a_fixed["estimate"] == pytest.approx(a_bound["estimate"], abs=1e-4)
    assert a_fixed["se"] == pytest.approx(a_bound["se"], rel=1e-3)


def test_fixed_regression_premultiplier():
    data = _data(3)
    res = quiet_fit(MODEL.replace("y ~ b*m", "y ~ 0*m").replace("ab := a*b\n", ""), data)
    row = res.estimates[(res.estimates["lhs"] == "y") & (res.estimates["op"] == "~")
                        & (res.estimates["level"] == 2)]
    assert row["free"].iloc[0] == 0 and row["estimate"].iloc[0] == 0.0
    assert np.isnan(row["se"].iloc[0]) or row["se"].iloc[0] == 0.0
    assert np.isnan(row["statistic"].iloc[0])


def test_bounds_inactive_give_the_unbounded_solution():
    data = _data(3, n_clusters=80, vyb=0.5, vmb=0.5)
    free, bounded = quiet_fit(MODEL, data), quiet_fit(MODEL, data, bounds="pos.var")
    assert free.admissible and not bounded.at_bound.any()
    a, b = free.estimates, bounded.estimates
    assert np.allclose(a["estimate"], b["estimate"], atol=2e-4)
    assert np.allclose(a["se"], b["se"], rtol=2e-3, equal_nan=True)


def test_multi_start_reports_every_run_and_keeps_the_best(heywood):
    _, _, bounded = heywood
    runs = bounded.starts
    assert list(runs["start"]) == ["default", "between_diagonal", "single_level"]
    best = runs[runs["converged"] & runs["admissible"]]["logl"].max()
    assert bounded.fit_measures["logl"] == pytest.approx(best, abs=1e-9)
    assert bounded.optima_spread >= 0


def test_monte_carlo_respects_bounds(heywood):
    _, _, bounded = heywood
    mc = bounded.monte_carlo_ci(n_draws=2000, seed=1).set_index("name")
    est = bounded.estimates.set_index("label")
    assert est.loc["vyb", "estimate"] == 0.0 and est.loc["vmb", "estimate"] > 0
    assert mc.loc["vy", "ci_lower"] == 0.0  # held on its bound (up to rounding in the draws)
    assert mc.loc["vy", "ci_upper"] == pytest.approx(0.0, abs=1e-6)
    # the interior variance is near 0: some draws fall below it and are clipped to 0
    assert mc["n_clipped"].iloc[0] > 0
    assert mc.loc["vm", "ci_lower"] == 0.0 < mc.loc["vm", "ci_upper"]


def test_level_sets_the_wald_interval():
    data = _data(3)
    r95, r80 = quiet_fit(MODEL, data), quiet_fit(MODEL, data, level=0.80)
    w95 = (r95.estimates["ci_upper"] - r95.estimates["ci_lower"]).dropna()
    w80 = (r80.estimates["ci_upper"] - r80.estimates["ci_lower"]).dropna()
    ratio = stats.norm.ppf(0.9) / stats.norm.ppf(0.975)
    assert np.allclose(w80[w95 > 0] / w95[w95 > 0], ratio)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"bounds": "positive"}, "bounds must be one of"),
    ({"starts": "many"}, "starts must be"),
    ({"starts": ["default", "nowhere"]}, "unknown start"),
    ({"starts": [np.zeros(2)]}, "finite vector of length"),
    ({"level": 1.5}, "level must be between"),
])
def test_bad_arguments_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(MODEL, _data(3), cluster="cluster", **kwargs)


def test_lavaan_fixture_unbounded_and_its_ignored_bounds():
    """heywood.csv / heywood.json (make_bounds.py, fit_lavaan_bounds.R, lavaan 0.6-14).

    lavaan agrees on the unrestricted (Heywood) solution; its ``bounds = "pos.var"``
    returns that same solution for a two-level model (the bounds are not applied in
    0.6-14), which is why the bounded optimum is checked by brute force above.
    """
    import json
    from pathlib import Path

    here = Path(__file__).resolve().parents[2] / "fixtures" / "lavaan"
    ref = json.loads((here / "heywood.json").read_text())
    data = pd.read_csv(here / "heywood.csv")
    free = quiet_fit(ref["model"], data)
    bounded = quiet_fit(ref["model"], data, bounds="pos.var", starts="multi")
    lav = pd.DataFrame(ref["unbounded"]["partable"])
    assert free.fit_measures["logl"] == pytest.approx(ref["unbounded"]["logl"], abs=1e-4)
    ours = free.estimates.assign(level=free.estimates["level"].fillna(0).astype(int))
    merged = lav.merge(ours, on=["lhs", "op", "rhs", "level"])
    assert len(merged) == len(lav)
    assert np.allclose(merged["est"], merged["estimate"], atol=1e-3)
    assert np.allclose(merged["se_x"], merged["se_y"].fillna(0), atol=2e-3)
    assert ref["pos_var"]["logl"] == pytest.approx(ref["unbounded"]["logl"], abs=1e-8)
    assert bounded.admissible and bounded.at_bound.any()
    assert bounded.fit_measures["logl"] < ref["unbounded"]["logl"]
