"""Shared helpers for the mcbi.stats.lmm tests: lme4 fixtures, cached fits, toy data.

Reference chain: tests/fixtures/lme4/make_data.py (seeded) writes the CSVs,
tests/fixtures/lme4/fit_lme4.R fits them with lme4 (versions recorded in each JSON).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mcbi.stats.lmm import LMMResult, fit_lmm
from mcbi.stats.lmm.deviance import CrossedDeviance
from mcbi.stats.lmm.frame import _design

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lme4"
DATASETS = ["twolevel", "threelevel", "boundary", "clustertime", "clustertime_by_time"]
BY_TIME = "clustertime_by_time"
REL, ABS_NEAR_ZERO = 1e-4, 1e-6
SE_REL = 1e-6


@cache
def reference(name: str) -> dict:
    """lme4's results for fixture ``name`` (written by fit_lme4.R)."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


@cache
def data(name: str) -> pd.DataFrame:
    """The CSV of fixture ``name`` (do not modify: cached)."""
    return pd.read_csv(FIXTURES / f"{name}.csv")


@cache
def fit(name: str) -> LMMResult:
    """Our fit of fixture ``name`` with the model and level order lme4 used."""
    ref = reference(name)
    if name == "twolevel":
        return fit_lmm(
            data(name), "y", "group", "time", "subject",
            group_levels=ref["group_levels"], time_levels=ref["time_levels"],
        )
    if name == BY_TIME:  # waves pre/post/followup: not in sorted order
        return fit_lmm(data(name), "y", "group", "time", "subject", "cluster",
                       time_levels=ref["time_levels"], cluster_time="by_time")
    # group 0/1 and time 0/1/2 are integers: the default (sorted) level order is lme4's.
    return fit_lmm(data(name), "y", "group", "time", "subject", "cluster",
                   cluster_time=name == "clustertime")


def python_term(r_term: str) -> str:
    """lme4 coefficient name -> mcbi.stats.lmm term name."""
    if r_term == "(Intercept)":
        return "Intercept"
    parts = []
    for piece in r_term.split(":"):
        var = "group" if piece.startswith("group") else "time"
        parts.append(f"{var}[T.{piece[len(var):]}]")
    return ":".join(parts)


def assert_close(actual: float, expected: float, rel: float = REL) -> None:
    assert actual == pytest.approx(expected, rel=rel, abs=ABS_NEAR_ZERO)


def dense_profile(sigma: np.ndarray, X: np.ndarray, y: np.ndarray):
    """Reference ML deviance, beta, sigma^2 and (X' V^-1 X)^-1 by dense algebra."""
    n = len(y)
    si = np.linalg.inv(sigma)
    xvx_inv = np.linalg.inv(X.T @ si @ X)
    beta = xvx_inv @ X.T @ si @ y
    r = y - X @ beta
    sigma2 = float(r @ si @ r) / n
    dev = np.linalg.slogdet(sigma)[1] + n * (1 + np.log(2 * np.pi) + np.log(sigma2))
    return dev, beta, sigma2, xvx_inv


def same(codes: np.ndarray) -> np.ndarray:
    """``1`` where two observations share a code: the all-ones blocks ``J``."""
    return (codes[:, None] == codes[None, :]).astype(float)


def crossed_inputs(name: str, time_levels: tuple) -> tuple:
    """``X, y, clus, subj, tcode`` of a three-level fixture (rows with an outcome)."""
    df = data(name).dropna(subset=["y"])
    X, _ = _design(df, "group", "time", (0, 1), time_levels)
    y = df["y"].to_numpy()
    clus = pd.factorize(df["cluster"])[0]
    subj = pd.MultiIndex.from_arrays([df["cluster"], df["subject"]]).factorize()[0]
    tcode = df["time"].map({t: i for i, t in enumerate(time_levels)}).to_numpy()
    return X, y, clus, subj, tcode


def crossed_deviances(name: str, time_levels: tuple) -> tuple:
    """Inputs plus the common-variance and the per-wave crossed deviance of ``name``."""
    X, y, clus, subj, tcode = crossed_inputs(name, time_levels)
    common = CrossedDeviance(X, y, subj, clus, tcode, len(time_levels))
    by_time = CrossedDeviance(X, y, subj, clus, tcode, len(time_levels), by_time=True)
    return X, y, clus, subj, tcode, common, by_time


def balanced(seed: int = 0, n: int = 30) -> pd.DataFrame:
    """Two arms of ``n`` subjects, three waves, a treatment effect after baseline."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": np.repeat(np.arange(2 * n), 3),
        "arm": np.repeat(["b_ctl", "a_trt"], 3 * n),
        "wave": np.tile(["pre", "post", "fu"], 2 * n),
    })
    df["y"] = (np.repeat(rng.normal(0, 2, 2 * n), 3) + rng.normal(0, 1, 6 * n)
               + (df["arm"] == "a_trt") * (df["wave"] != "pre") * 1.5)
    return df
