"""The key outcomes' fits: targets, waves, rungs and contrasts that cannot be computed."""

from __future__ import annotations

import numpy as np
import pytest

from mcbi.paper.outcomes.models import LADDER, NOT_AVAILABLE, NOT_ESTIMABLE, OK
from mcbi.paper.outcomes.sufficiency import MIN_UNITS
from mcbi.paper.sensitivity import fits
from mcbi.stats.lmm import contrasts
from mcbi.trial import design


def _target(trial, outcome):
    return next(t for t in fits.targets(trial) if t.outcome == outcome)


def test_targets_are_the_key_outcomes_therapists_first(trial) -> None:
    got = [(t.outcome, t.level) for t in fits.targets(trial)]
    assert got == ([(o, "therapists") for o in fits.KEY_THERAPIST]
                   + [(o, "patients") for o in fits.KEY_PATIENT])
    assert _target(trial, "eus_p").ladder == LADDER


def test_analysed_waves_need_both_arms(trial) -> None:
    data = trial.therapists
    assert fits.analysed_waves(data, "pms") == list(design.WAVES)
    one_arm = data[~((data[design.WAVE] == "followup") & (data[design.ARM] == design.CONTROL))]
    assert fits.analysed_waves(one_arm, "pms") == ["pre", "post"]


def test_fit_and_between_match_the_general_contrasts(trial) -> None:
    f = fits.fit(_target(trial, "pms"))
    assert f.result is not None and f.result.reml and f.rung.key == "therapist"
    rows = fits.between(f, 0.05, "kenward-roger")
    ref = contrasts(f.result, 0.05, ddf="kenward-roger")
    ref = ref[ref["contrast"] == "between"]
    assert rows["estimate"].to_numpy() == pytest.approx(ref["estimate"].to_numpy())
    assert rows["df"].to_numpy() == pytest.approx(ref["df"].to_numpy())
    assert (rows["status"] == OK).all() and list(rows.columns) == fits.COLUMNS
    assert rows["n_units"].iloc[0] == trial.therapists["therapist_id"].nunique()
    assert rows["sufficient"].all()


def test_too_few_observed_changes_are_flagged(trial) -> None:
    t = _target(trial, "pms")
    data = t.data.copy()
    treated = data.loc[data[design.ARM] == design.TREATED, t.subject].unique()
    keep = treated[:MIN_UNITS + 1]  # observed at post: enough for the wave to be fitted
    drop = ((data[design.ARM] == design.TREATED) & (data[design.WAVE] == "post")
            & ~data[t.subject].isin(keep))
    data.loc[drop, "pms"] = float("nan")
    no_pre = data[t.subject].isin(keep[MIN_UNITS - 1:]) & (data[design.WAVE] == "pre")
    data.loc[no_pre, "pms"] = float("nan")  # but too few with a change to post
    rows = fits.between(fits.fit(t, data=data), 0.05).set_index("time")
    assert not rows.loc["post", "sufficient"] and rows.loc["followup", "sufficient"]
    assert f"at least {MIN_UNITS} per arm" in rows.loc["post", "note"]


def test_a_wave_not_collected_is_not_available(trial) -> None:
    t = _target(trial, "eus_p")
    f = fits.fit(t, data=t.data[t.data[design.WAVE] != "followup"])
    rows = fits.between(f, 0.05).set_index("time")
    assert rows.loc["post", "status"] == OK
    assert rows.loc["followup", "status"] == NOT_AVAILABLE
    assert rows.loc["followup", "note"] == "follow-up not collected"
    assert not rows.loc["followup", "collected"] and rows.loc["post", "collected"]


def test_a_model_that_cannot_be_fitted_is_reported_with_its_reason(trial) -> None:
    t = _target(trial, "eus_p")
    first = t.data.groupby(design.THERAPIST_ID)[design.PATIENT_ID].transform("first")
    one = t.data[t.data[design.PATIENT_ID] == first]  # one patient per therapist
    f = fits.fit(t, (LADDER[0],), data=one)
    assert f.result is None and "two patients" in f.note
    rows = fits.between(f, 0.05)
    assert (rows["status"] == NOT_ESTIMABLE).all() and rows["estimate"].isna().all()
    nothing = fits.fit(t, data=t.data[t.data[design.WAVE] == "pre"])
    assert nothing.result is None and "baseline" in nothing.note
    assert np.isnan(fits.between(nothing, 0.05)["pvalue"]).all()


def test_warm_start_maps_components_by_name() -> None:
    from types import SimpleNamespace

    by_time, common, none, patient = LADDER
    waves = ["pre", "post", "followup"]
    source = SimpleNamespace(optsummary=SimpleNamespace(
        theta_names=("cluster", "subject", "cluster_time[pre]", "cluster_time[post]",
                     "cluster_time[followup]"), final=(0.5, 1.2, 0.0, 0.3, 0.4)))
    assert fits.theta_names(by_time, waves) == source.optsummary.theta_names
    assert fits.warm_start(source, by_time, waves) == [0.5, 1.2, 0.0, 0.3, 0.4]
    assert fits.warm_start(source, common, waves) == pytest.approx(
        [0.5, 1.2, np.sqrt((0.09 + 0.16) / 3)])
    assert fits.warm_start(source, none, waves) == [0.5, 1.2]
    assert fits.warm_start(source, patient, waves) == [1.2]
    simple = SimpleNamespace(optsummary=SimpleNamespace(theta_names=("subject",),
                                                        final=(0.8,)))
    assert fits.warm_start(simple, none, waves) is None  # richer than the source: the grid
    assert fits.warm_start(None, none, waves) is None


def test_ml_refit_from_the_reml_optimum_matches_a_cold_one(trial) -> None:
    target = fits.targets(trial)[0]
    reml = fits.fit(target)
    cold = fits.fit(target, (reml.rung,), reml=False)
    warm = fits.fit(target, (reml.rung,), reml=False, start_from=reml.result)
    assert len(warm.result.optsummary.starts) == 1 < len(cold.result.optsummary.starts)
    assert warm.result.loglik == pytest.approx(cold.result.loglik, abs=1e-7)
    np.testing.assert_allclose(warm.result.fixed["estimate"], cold.result.fixed["estimate"],
                               rtol=1e-6, atol=1e-8)
