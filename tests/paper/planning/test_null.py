"""mcbi.paper.planning.null: the type-I error study behind ``mcbi plan --effects null``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mcbi.paper.planning.null import (
    METHODS,
    NullReplicate,
    by_units,
    permute_arms,
    type1_table,
)
from mcbi.paper.planning.replicates import PATIENT_TARGETS, THERAPIST_TARGETS, score
from mcbi.synth.simulate import simulate
from mcbi.trial import design


def test_permuting_arms_keeps_the_allocation_and_moves_patients_with_their_therapist():
    trial = score(simulate(3, n_therapists=12, patients_per_therapist=2))
    t, p = permute_arms(trial.therapists, trial.patients, np.random.default_rng(1))
    before = trial.therapists.drop_duplicates(design.THERAPIST_ID)[design.ARM]
    after = t.drop_duplicates(design.THERAPIST_ID)[design.ARM]
    assert sorted(before.astype(str)) == sorted(after.astype(str))  # same allocation
    assert (before.to_numpy() != after.to_numpy()).any()  # but shuffled
    arm_of = t.drop_duplicates(design.THERAPIST_ID).set_index(design.THERAPIST_ID)[design.ARM]
    assert (p[design.ARM].astype(str).to_numpy()
            == p[design.THERAPIST_ID].map(arm_of).astype(str).to_numpy()).all()
    pd.testing.assert_frame_equal(t.drop(columns=design.ARM),
                                  trial.therapists.drop(columns=design.ARM))


def test_a_replicate_tests_every_outcome_wave_and_method():
    rows = pd.DataFrame(NullReplicate()((8, 1), 11))
    ok = rows[~rows["failed"]]
    assert set(ok["method"]) == set(METHODS)
    assert set(rows["target"]) == set(THERAPIST_TARGETS + PATIENT_TARGETS)
    for _, grp in ok.groupby(["target", "time"]):
        # one fit per estimation: the two z tests on REML and KR share an estimate
        reml = grp[grp["method"] != "z_ml"]
        assert np.allclose(reml["estimate"], reml["estimate"].iloc[0])
        kr = grp[grp["method"] == "kenward_roger"].iloc[0]
        z = grp[grp["method"] == "z_reml"].iloc[0]
        assert math.isinf(z["df"]) and math.isfinite(kr["df"]) and kr["df"] > 0

        assert kr["se"] >= z["se"] - 1e-12  # KR's adjusted SE is never smaller
    assert ok["units"].between(0, 4).all()  # at most 4 therapists per arm at 8
    assert (ok["significant"] == (ok["pvalue"] < 0.05)).all()


def _rows() -> pd.DataFrame:
    rows = []
    for cell, n_rep in (((10, 2), 4), ((20, 2), 2)):
        for rep in range(n_rep):
            rows.append({"cell": cell, "rep": rep, "target": "pms", "time": "", "method": "",
                         "failed": True, "significant": False, "df": np.nan, "units": -1})
            for method in METHODS:
                rows.append({"cell": cell, "rep": rep, "target": "teca", "time": "post",
                             "method": method, "failed": False,
                             "significant": rep == 0 and method == "z_ml",
                             "df": np.inf if method.startswith("z") else 7.0 + rep,
                             "units": 3 + rep})
    return pd.DataFrame(rows)


def test_type1_table_counts_rates_tests_and_failed_fits():
    tab = type1_table(_rows())
    row = tab[(tab["n_therapists"] == 10) & (tab["method"] == "z_ml")].iloc[0]
    assert row["rate"] == 0.25 and row["tests"] == 4
    assert row["mc_se"] == pytest.approx(math.sqrt(0.25 * 0.75 / 4))
    assert row["failed"] == 0.5  # pms failed in every replicate: half the outcome fits
    kr = tab[(tab["n_therapists"] == 20) & (tab["method"] == "kenward_roger")].iloc[0]
    assert kr["rate"] == 0 and kr["median_df"] == 7.5
    assert list(tab["method"].iloc[:4]) == list(METHODS)
    with pytest.raises(ValueError, match="no replicate rows"):
        type1_table(_rows().iloc[:0])


def test_by_units_bins_the_smaller_arms_count():
    tab = by_units(_rows())
    z = tab[tab["method"] == "z_ml"].set_index("units_from")
    assert list(z.index) == [3, 4, 5, 6]
    assert z.loc[3, "tests"] == 2 and z.loc[3, "rate"] == 1.0  # rep 0 of both designs
    assert z.loc[5, "units_to"] == 5 and z.loc[6, "units_to"] == 7  # the band 6-7
    assert set(tab["method"]) == set(METHODS)
