"""The chapter's comparisons: estimators, tests, structures, complete cases and findings."""

from __future__ import annotations

import pandas as pd
import pytest

from mcbi.paper.outcomes.models import LADDER, OK
from mcbi.paper.sensitivity import analyses, fits
from mcbi.trial import design


@pytest.fixture(scope="module")
def some(trial):
    targets = [t for t in fits.targets(trial) if t.outcome in ("pms", "bond")]
    return targets, analyses.primary_fits(targets)


def test_check_ddf() -> None:
    assert analyses.check_ddf(" Kenward-Roger ") == "kenward-roger"
    with pytest.raises(ValueError, match="ddf"):
        analyses.check_ddf("wald")


def test_estimators_refit_the_primary_rung_by_ml(some) -> None:
    _, primaries = some
    table = analyses.estimators(primaries, 0.05)
    assert set(table["variant"]) == {analyses.ML, analyses.REML}
    wide = table.pivot_table(index=["outcome", "time"], columns="variant", values="se")
    assert (wide[analyses.REML] > wide[analyses.ML]).all()  # ML's variances are smaller here


def test_tests_give_three_rows_per_contrast_with_finite_df_for_t(some) -> None:
    _, primaries = some
    table = analyses.tests(primaries, 0.05)
    assert table.groupby(["outcome", "time"]).size().eq(3).all()
    assert table.loc[table["variant"] == "z", "df"].eq(float("inf")).all()
    assert table.loc[table["variant"] != "z", "df"].between(1, 1e4).all()


def test_structures_fit_every_rung_of_the_patients_ladder(some) -> None:
    _, primaries = some
    table = analyses.structures(primaries, 0.05, "satterthwaite")
    assert set(table["outcome"]) == {"bond"}
    assert list(dict.fromkeys(table["variant"])) == [r.key for r in LADDER]


def test_complete_units_keep_units_seen_at_every_wave(trial, some) -> None:
    targets, primaries = some
    t = targets[0]
    cc = analyses.complete_units(t.data, t, list(design.WAVES))
    seen = cc[cc["pms"].notna()].groupby(t.subject)[design.WAVE].nunique()
    assert (seen == len(design.WAVES)).all()
    table = analyses.complete_cases(primaries, 0.05, "kenward-roger")
    n = table.pivot_table(index=["outcome", "time"], columns="variant", values="n_units")
    assert (n[analyses.COMPLETE] < n[analyses.ALL_DATA]).all()


def test_findings_and_their_agreement() -> None:
    assert analyses.finding(0.4, 0.01, 0.05) == (1, True)
    assert analyses.finding(float("nan"), 0.01, 0.05) is None
    assert analyses.same_finding((1, False), (-1, False)) is True
    assert analyses.same_finding((1, True), (-1, True)) is False
    assert analyses.same_finding((1, True), (1, False)) is False
    assert analyses.finding(0.4, 0.01, 0.05, sufficient=False) == (1, False)
    table = pd.DataFrame({
        "variant": ["a", "b", "a", "b"], "outcome": ["x"] * 4, "label": ["X"] * 4,
        "time": ["post", "post", "followup", "followup"], "estimate": [0.5, 0.4, 0.5, -0.5],
        "pvalue": [0.01, 0.02, 0.01, 0.30], "status": [OK] * 4, "sufficient": True})
    agree = analyses.agreement(table, "a", 0.05).set_index("time")["agrees"]
    assert agree["post"] == True and agree["followup"] == False  # noqa: E712
