"""mcbi.paper.outcomes.effects: Feingold's growth-model d (pooled observed baseline SD)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.outcomes import effects


def _long() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for arm, n, sd in (("control", 12, 1.0), ("MCBI", 9, 2.0)):
        for i in range(n):
            for wave in ("pre", "post"):
                rows.append({"arm": arm, "wave": wave, "id": f"{arm}{i}",
                             "y": rng.normal(0, sd)})
    return pd.DataFrame(rows)


def test_pooled_baseline_sd_by_hand() -> None:
    df = _long()
    pre = df[df["wave"] == "pre"]
    a = pre.loc[pre["arm"] == "control", "y"].to_numpy()
    b = pre.loc[pre["arm"] == "MCBI", "y"].to_numpy()
    expected = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))
                       / (len(a) + len(b) - 2))
    got = effects.pooled_baseline_sd(df, "y", "arm", "wave", "pre")
    assert got == pytest.approx(expected, rel=1e-12)
    # later waves do not enter
    changed = df.copy()
    changed.loc[changed["wave"] == "post", "y"] *= 10
    assert effects.pooled_baseline_sd(changed, "y", "arm", "wave", "pre") == pytest.approx(got)


def test_pooled_baseline_sd_missing_and_degenerate() -> None:
    df = _long()
    df.loc[(df["wave"] == "pre") & (df["arm"] == "MCBI"), "y"] = np.nan
    ctl = df.loc[(df["wave"] == "pre") & (df["arm"] == "control"), "y"]
    # one arm without baseline values: the other arm's SD alone
    assert effects.pooled_baseline_sd(df, "y", "arm", "wave", "pre") == pytest.approx(
        ctl.std(ddof=1))
    df["y"] = np.where(df["wave"] == "pre", np.nan, df["y"])
    assert np.isnan(effects.pooled_baseline_sd(df, "y", "arm", "wave", "pre"))
    const = pd.DataFrame({"arm": ["a", "a", "b", "b"], "wave": ["pre"] * 4, "y": [1.0] * 4})
    assert np.isnan(effects.pooled_baseline_sd(const, "y", "arm", "wave", "pre"))
    with pytest.raises(ValueError, match="not in data"):
        effects.pooled_baseline_sd(const, "z", "arm", "wave", "pre")


def test_add_d_divides_estimate_and_interval() -> None:
    table = pd.DataFrame({"estimate": [1.0, -0.5, np.nan], "ci_lower": [0.2, -1.0, np.nan],
                          "ci_upper": [1.8, 0.0, np.nan]})
    out = effects.add_d(table, 2.0)
    np.testing.assert_allclose(out["d"], [0.5, -0.25, np.nan])
    np.testing.assert_allclose(out["d_ci_lower"], [0.1, -0.5, np.nan])
    np.testing.assert_allclose(out["d_ci_upper"], [0.9, 0.0, np.nan])
    assert (out["sd_pre"] == 2.0).all()
    assert "d" not in table.columns  # a copy
    assert out.pipe(effects.add_d, float("nan"))["d"].isna().all()
