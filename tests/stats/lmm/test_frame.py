"""Tests for mcbi.stats.lmm.frame: input checks, level orders, design matrix, codes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _lmm_helpers import BY_TIME, balanced, data, reference
from mcbi.stats.lmm import fit_lmm
from mcbi.stats.lmm.frame import model_frame


def test_model_frame_codes_and_design() -> None:
    df = balanced().assign(ther=lambda d: d["id"] // 2)
    frame = model_frame(df, "y", "arm", "wave", "id", "ther",
                        group_levels=["b_ctl", "a_trt"], time_levels=["pre", "post", "fu"])
    assert frame.terms == ("Intercept", "arm[T.a_trt]", "wave[T.post]", "wave[T.fu]",
                           "arm[T.a_trt]:wave[T.post]", "arm[T.a_trt]:wave[T.fu]")
    assert frame.X.shape == (180, 6)
    # the design reproduces the cell indicators row by row
    trt, post = (df["arm"] == "a_trt").to_numpy(), (df["wave"] == "post").to_numpy()
    np.testing.assert_array_equal(frame.X[:, 1], trt)
    np.testing.assert_array_equal(frame.X[:, 4], trt & post)
    np.testing.assert_array_equal(frame.time_code, df["wave"].map(
        {"pre": 0, "post": 1, "fu": 2}).to_numpy())
    assert (frame.nobs, frame.n_subjects, frame.n_clusters) == (180, 60, 30)
    assert frame.theta_names == ("cluster", "subject")
    assert frame.cell_counts["n"].tolist() == [30] * 6


def test_theta_names_follow_cluster_time() -> None:
    df = data(BY_TIME)
    levels = reference(BY_TIME)["time_levels"]
    two = model_frame(balanced(), "y", "arm", "wave", "id")
    assert two.theta_names == ("subject",) and two.n_clusters == 0
    common = model_frame(df, "y", "group", "time", "subject", "cluster",
                         time_levels=levels, cluster_time=True)
    assert common.theta_names == ("cluster", "subject", "cluster_time")
    per_wave = model_frame(df, "y", "group", "time", "subject", "cluster",
                           time_levels=levels, cluster_time="by_time")
    assert per_wave.theta_names == ("cluster", "subject", "cluster_time[pre]",
                                    "cluster_time[post]", "cluster_time[followup]")


def test_subjects_are_nested_in_clusters() -> None:
    # subject ids restart in every cluster: codes are per (cluster, subject)
    frame = model_frame(data("threelevel"), "y", "group", "time", "subject", "cluster")
    assert frame.n_subjects == 121 > data("threelevel")["subject"].nunique()


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
        fit_lmm(mutate(balanced()), **args)


def test_bad_input_not_a_dataframe() -> None:
    with pytest.raises(ValueError, match="DataFrame"):
        fit_lmm({"y": [1.0]}, "y", "g", "t", "s")
    with pytest.raises(ValueError, match="duplicates"):
        model_frame(balanced(), "y", "arm", "wave", "id", group_levels=["a_trt", "a_trt"])
    with pytest.raises(ValueError, match="must differ"):
        model_frame(balanced(), "y", "arm", "arm", "id")


def test_cluster_time_needs_a_cluster() -> None:
    df = balanced()
    with pytest.raises(ValueError, match="cluster_time"):
        fit_lmm(df, "y", "arm", "wave", "id", cluster_time=True)
    with pytest.raises(ValueError, match="True, False or 'by_time'"):
        fit_lmm(data("clustertime"), "y", "group", "time", "subject", "cluster",
                cluster_time="yes")
    # one subject per cluster: every cluster x wave cell holds one observation
    with pytest.raises(ValueError, match="cluster x time levels"):
        fit_lmm(df.assign(ther=df["id"]), "y", "arm", "wave", "id", "ther", cluster_time=True)


@pytest.mark.parametrize("value", ["yes", "by_wave", "BY_TIME", 1, 0, None, ("by_time",)])
def test_bad_cluster_time_value_raises(value) -> None:
    with pytest.raises(ValueError, match="cluster_time must be"):
        fit_lmm(data(BY_TIME), "y", "group", "time", "subject", "cluster",
                cluster_time=value)


def test_by_time_needs_a_cluster_and_enough_cells() -> None:
    df = balanced()
    with pytest.raises(ValueError, match="needs a cluster"):
        fit_lmm(df, "y", "arm", "wave", "id", cluster_time="by_time")
    # one subject per cluster: the per-wave cluster effects are confounded with the residual
    with pytest.raises(ValueError, match="cluster x time levels"):
        fit_lmm(df.assign(ther=df["id"]), "y", "arm", "wave", "id", "ther",
                cluster_time="by_time")


def test_categorical_order_and_unsortable_levels() -> None:
    df = balanced()
    cat = df.assign(wave=pd.Categorical(df["wave"], categories=["fu", "pre", "post", "x"]))
    assert model_frame(cat, "y", "arm", "wave", "id").time_levels == ("fu", "pre", "post")
    mixed = df.assign(arm=[1 if a == "a_trt" else "b" for a in df["arm"]])
    with pytest.raises(ValueError, match="cannot sort"):
        model_frame(mixed, "y", "arm", "wave", "id")
