"""Tests for mcbi.stats.lmm.ftest (joint F tests) against lmerTest's ``contestMD`` and
pbkrtest's ``KRmodcomp``.

Reference chain as in test_ddf.py (tests/fixtures/lmertest/fit_lmertest.R, the ``joint``
entries): for every model, the group x time terms jointly, the last group's changes from
baseline jointly, and (Satterthwaite only) a rank-deficient L (the group x time rows and
their sum). Tolerances: F, df, p-value and KR's scaling factor 1e-6 relative (ML fits:
1e-5, see test_ddf.py) [measured maxima: F 1.6e-7, df 2.9e-8 (ML fits 1.0e-6), p 6.4e-7,
scaling 5.6e-9]; p-values below 1e-4 as the relative error of log p.
"""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest

from _ddf_helpers import ML_REL, MODELS, P_LOG, REL, fit, reference
from mcbi.stats.lmm import contrast_ftest, contrast_test


def _close(got: float, expected: float, rel: float) -> None:
    if 0 < expected < P_LOG:
        assert abs(np.log(got) - np.log(expected)) / abs(np.log(expected)) < rel
    else:
        assert got == pytest.approx(expected, rel=rel)


@pytest.mark.parametrize("name", MODELS)
def test_joint_tests_match_r(name: str) -> None:
    for label, jt in reference(name)["joint"].items():
        L = np.array(jt["L"])
        for key, ddf, reml, rel in [("satterthwaite", "satterthwaite", True, REL),
                                    ("kenward_roger", "kenward-roger", True, REL),
                                    ("satterthwaite_ml", "satterthwaite", False, ML_REL)]:
            if key not in jt:
                assert label == "rank_deficient" and key == "kenward_roger"
                continue
            tab = contrast_ftest(fit(name, reml), L, ddf=ddf).iloc[0]
            ref = jt[key]
            assert tab["ndf"] == ref["ndf"], (label, key)
            for q in ("statistic", "df"):
                assert tab[q] == pytest.approx(ref[q], rel=rel), (label, key, q)
            _close(tab["pvalue"], ref["pvalue"], rel)
            if key == "kenward_roger":
                assert tab["scaling"] == pytest.approx(jt["kr_modcomp"]["F_scaling"], rel=REL)
                assert tab["df"] == pytest.approx(jt["kr_modcomp"]["ddf"], rel=REL)


def test_rank_deficient_kr_equals_the_reduced_contrast() -> None:
    res = fit("small_by_time")
    L = np.array(reference("small_by_time")["joint"]["rank_deficient"]["L"])
    full = contrast_ftest(res, L, ddf="kenward-roger").iloc[0]
    reduced = contrast_ftest(res, L[:2], ddf="kenward-roger").iloc[0]
    assert full["ndf"] == 2
    for q in ("statistic", "df", "pvalue"):
        assert full[q] == pytest.approx(reduced[q], rel=1e-9)


def test_one_row_is_the_squared_t_test() -> None:
    res = fit("small_clustertime")
    L = np.zeros(6)
    L[5] = 1.0
    for ddf in ("z", "satterthwaite", "kenward-roger"):
        f = contrast_ftest(res, L, ddf=ddf).iloc[0]
        t = contrast_test(res, L, ddf=ddf).iloc[0]
        assert f["statistic"] == pytest.approx(t["statistic"] ** 2, rel=1e-9)
        assert f["pvalue"] == pytest.approx(t["pvalue"], rel=1e-9)
        assert f["df"] == pytest.approx(t["df"], rel=1e-9)


def test_rhs_and_bad_input() -> None:
    res = fit("small_nested")
    L = np.zeros((2, 6))
    L[0, 4] = L[1, 5] = 1.0
    beta = res.params.to_numpy()
    at_estimate = contrast_ftest(res, L, ddf="satterthwaite", rhs=L @ beta).iloc[0]
    assert at_estimate["statistic"] == pytest.approx(0.0, abs=1e-20)
    with pytest.raises(ValueError, match="no estimable direction"):
        contrast_ftest(res, np.zeros(6))
    with pytest.raises(ValueError, match="ddf must be one of"):
        contrast_ftest(res, L, ddf="t")
    with pytest.raises(ValueError, match="REML"):
        contrast_ftest(fit("small_nested", False), L, ddf="kenward-roger")


def test_docstring_examples() -> None:
    mod = importlib.import_module("mcbi.stats.lmm.ftest")
    failures, tried = doctest.testmod(mod)
    assert tried > 0 and failures == 0
