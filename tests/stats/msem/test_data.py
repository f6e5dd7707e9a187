"""Data validation and reduction (mcbi.stats.msem.data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mcbi.stats.msem.data import prepare_data
from mcbi.stats.msem.partable import build_partable

MODEL = "level: 1\n y ~ x\nlevel: 2\n y ~ w\n"


def _frame(seed=0):
    rng = np.random.default_rng(seed)
    g = np.array([3, 3, 1, 2, 2, 2, 5])  # unsorted cluster labels, sizes 2, 1, 3, 1
    return pd.DataFrame({"g": g, "x": rng.normal(size=7), "y": rng.normal(size=7),
                         "w": pd.Series(g).map({1: 0.1, 2: 0.2, 3: 0.3, 5: 0.5})})


def test_statistics_by_cluster_size():
    df = _frame()
    roles = build_partable(MODEL)[1]
    data = prepare_data(df, "g", roles)
    assert (data.n_total, data.n_clusters) == (7, 4)
    np.testing.assert_array_equal(data.sizes, [1, 2, 3])
    np.testing.assert_array_equal(data.counts, [2, 1, 1])
    # pooled within covariance with divisor N - J
    yv = df[["y", "x"]].to_numpy()
    dev = yv - df.groupby("g")[["y", "x"]].transform("mean").to_numpy()
    np.testing.assert_allclose(data.s_pw, dev.T @ dev / 3)
    # size-3 cluster (g = 2): b = (w, ybar)
    np.testing.assert_allclose(data.means[2], [0.2, *df[df.g == 2][["y", "x"]].mean()])
    assert data.n_within_df == 3 and not data.groups


def test_missing_cells_go_to_fiml_groups_and_empty_rows_are_dropped():
    df = _frame()
    df.loc[0, "y"] = np.nan
    df.loc[4, ["y", "x"]] = np.nan  # every level-1 variable missing: dropped
    roles = build_partable(MODEL)[1]
    data = prepare_data(df, "g", roles)
    assert data.n_total == 6
    assert sum(len(g["x"]) for g in data.groups) == 1  # only cluster 3 is incomplete
    listwise = prepare_data(df, "g", roles, missing="listwise")
    assert listwise.n_total == 5 and not listwise.groups


@pytest.mark.parametrize("change, message", [
    (lambda d: d.drop(columns="g"), "cluster column 'g'"),
    (lambda d: d.drop(columns="w"), r"not in the data: \['w'\]"),
    (lambda d: d.assign(w=np.arange(7.0)), "'w' is not constant within clusters"),
    (lambda d: d.assign(x=list("abcdefg")), "'x' is not numeric"),
    (lambda d: d.assign(g=[1, 1, np.nan, 2, 2, 2, 5]), "missing values"),
])
def test_bad_input_raises(change, message):
    roles = build_partable(MODEL)[1]
    with pytest.raises(ValueError, match=message):
        prepare_data(change(_frame()), "g", roles)


def test_bad_missing_option():
    with pytest.raises(ValueError, match="missing must be"):
        prepare_data(_frame(), "g", build_partable(MODEL)[1], missing="pairwise")
