"""Shared helpers of the mcbi.stats.lmm small-sample inference tests (test_ddf, test_ftest):
the lmerTest / pbkrtest fixtures, cached ML and REML fits, tolerances.

Reference chain: tests/fixtures/lme4/make_data.py and tests/fixtures/lmertest/make_data.py
(seeded) write the CSVs, tests/fixtures/lmertest/fit_lmertest.R writes the JSON.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

from mcbi.stats.lmm import LMMResult, fit_lmm

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MODELS = ["twolevel", "threelevel", "boundary", "clustertime", "clustertime_by_time",
          "small_nested", "small_clustertime", "small_by_time"]
STRUCTURE = {"twolevel": False, "nested": False, "cluster_time": True, "by_time": "by_time"}
REL = 1e-6  # contrast quantities
FIT_REL, FIT_ABS = 1e-5, 1e-6  # REML estimates (an optimum: flat)
ML_REL = 1e-5  # Satterthwaite on ML fits: lme4's and our ML optima differ by up to 1.7e-6
P_LOG = 1e-4  # p-values below this are compared as log p
QUANTITIES = ["estimate", "se", "statistic", "df", "pvalue", "ci_lower", "ci_upper"]


@cache
def reference(name: str) -> dict:
    """R's results for model ``name`` (written by fit_lmertest.R)."""
    return json.loads((FIXTURES / "lmertest" / f"{name}.json").read_text())


@cache
def fit(name: str, reml: bool = True) -> LMMResult:
    ref = reference(name)
    folder = "lmertest" if ref["data"] == "small.csv" else "lme4"
    d = pd.read_csv(FIXTURES / folder / ref["data"])
    d["group"] = d["group"].astype(str)
    d["time"] = d["time"].astype(str)
    cluster = None if ref["structure"] == "twolevel" else "cluster"
    return fit_lmm(d, "y", "group", "time", "subject", cluster,
                   group_levels=ref["group_levels"], time_levels=ref["time_levels"],
                   cluster_time=STRUCTURE[ref["structure"]], reml=reml)
