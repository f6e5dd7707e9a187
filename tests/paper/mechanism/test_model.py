"""mcbi.paper.mechanism.model: change-score data, the generator's seed, true paths, the model."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _datafixtures import DATA
from mcbi.paper.mechanism import model as mechanism
from mcbi.stats.msem import build_partable
from mcbi.synth.parameters import PARAMETERS, delta_pms_sd
from mcbi.synth.simulate import DEFAULT_SEED
from mcbi.trial import design

P = {p.name: p.value for p in PARAMETERS}
COLUMNS = ("mcbi", "pms", "eusp", "bond", "som", "dep", "anx")
SCALE = {"eusp": "eus_p", "bond": "bond", "som": "bsi_som", "dep": "bsi_dep",
         "anx": "bsi_anx"}


@pytest.fixture(scope="module")
def change(trial) -> pd.DataFrame:
    return mechanism.change_data(trial)


@pytest.fixture(scope="module")
def latent() -> pd.DataFrame:
    return mechanism.latent_change_data(DEFAULT_SEED)


def _post_minus_pre(long: pd.DataFrame, key: str, scale: str) -> pd.Series:
    """Post - pre of ``scale`` per person, computed from the long table row by row."""
    out = {}
    for person, rows in long.groupby(key, observed=True):
        by_wave = dict(zip(rows[design.WAVE].astype(str), rows[scale], strict=True))
        out[person] = by_wave.get("post", np.nan) - by_wave.get("pre", np.nan)
    return pd.Series(out, dtype=float)


# --- change_data -----------------------------------------------------------------------


def test_change_data_one_row_per_patient(trial, change) -> None:
    assert len(change) == design.N_PATIENTS
    assert change[design.PATIENT_ID].is_unique
    assert set(change[design.PATIENT_ID]) == set(trial.patient_info[design.PATIENT_ID])
    assert set(COLUMNS) <= set(change.columns)
    assert design.THERAPIST_ID in change.columns
    assert design.ARM not in change.columns


def test_change_data_arm_indicator(trial, change) -> None:
    assert set(change["mcbi"].unique()) <= {0.0, 1.0}
    assert (change.groupby(design.THERAPIST_ID)["mcbi"].nunique() == 1).all()
    arm = trial.therapist_info.set_index(design.THERAPIST_ID)[design.ARM].astype(str)
    expected = (change[design.THERAPIST_ID].map(arm) == design.TREATED).astype(float)
    assert (change["mcbi"].to_numpy() == expected.to_numpy()).all()
    n_mcbi = change.drop_duplicates(design.THERAPIST_ID)["mcbi"].sum()
    assert n_mcbi == len(set(trial.patient_info.loc[trial.patient_info[design.ARM] == "MCBI",
                                                    design.THERAPIST_ID]))


def test_change_data_pms_is_the_therapists_change(trial, change) -> None:
    assert (change.groupby(design.THERAPIST_ID)["pms"].nunique(dropna=False) == 1).all()
    expected = _post_minus_pre(trial.therapists, design.THERAPIST_ID, "pms")
    got = change.set_index(design.PATIENT_ID)
    np.testing.assert_allclose(got["pms"].to_numpy(),
                               expected.reindex(got[design.THERAPIST_ID]).to_numpy(),
                               rtol=1e-12, equal_nan=True)
    assert got["pms"].notna().sum() > 0


@pytest.mark.parametrize("var", sorted(SCALE))
def test_change_data_patient_changes(trial, change, var) -> None:
    expected = _post_minus_pre(trial.patients, design.PATIENT_ID, SCALE[var])
    got = change.set_index(design.PATIENT_ID)[var]
    np.testing.assert_allclose(got.to_numpy(), expected.reindex(got.index).to_numpy(),
                               rtol=1e-12, equal_nan=True)
    # patients without a post wave have no change; the others have one
    assert got.isna().any() and got.notna().sum() > design.N_PATIENTS / 2


# --- generator_seed --------------------------------------------------------------------


def test_generator_seed_of_committed_package() -> None:
    assert mechanism.generator_seed(DATA) == DEFAULT_SEED
    descriptor = json.loads((DATA / "datapackage.json").read_text("utf-8"))
    assert mechanism.generator_seed(DATA) == descriptor["generator"]["seed"]


def test_generator_seed_of_another_draw(tmp_path) -> None:
    from mcbi.synth.simulate import write_package

    assert mechanism.generator_seed(write_package(tmp_path / "draw7", seed=7)) == 7


def test_generator_seed_is_none_when_the_record_does_not_reproduce(tmp_path) -> None:
    """A generator record that regenerates other data (here: seed 7 on the shipped files)."""
    import shutil

    folder = Path(shutil.copytree(DATA, tmp_path / "pkg"))
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    descriptor["generator"]["seed"] = 7
    (folder / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    assert mechanism.generator_seed(folder) is None


def test_generator_seed_without_record_is_none(tmp_path) -> None:
    import shutil

    folder = Path(shutil.copytree(DATA, tmp_path / "pkg"))
    descriptor = json.loads((folder / "datapackage.json").read_text("utf-8"))
    descriptor.pop("generator")
    descriptor["synthetic"] = True
    (folder / "datapackage.json").write_text(json.dumps(descriptor), "utf-8")
    assert mechanism.generator_seed(folder) is None


# --- true_paths ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def truth() -> pd.Series:
    paths = mechanism.true_paths()
    assert paths["label"].is_unique
    return paths.set_index("label")["true"]


def test_true_paths_columns() -> None:
    paths = mechanism.true_paths()
    assert list(paths.columns) == ["lhs", "op", "rhs", "level", "label", "true"]
    assert set(paths["op"]) == {"~"}
    assert set(paths["level"]) == {1, 2}


def test_true_paths_from_parameters(truth) -> None:
    sdb = P["change_sd_between"]
    eff = P["pms_effect"][0]
    share = P["n_mcbi"] / P["n_therapists"]  # 33 / 63
    # variance of dPMS: between-arm part of a Bernoulli(share) effect + individual change
    pms_sd = math.sqrt(eff**2 * share * (1 - share) + P["pms_change_sd"] ** 2)
    assert delta_pms_sd() == pytest.approx(pms_sd, rel=1e-15)
    assert truth["a0"] == pytest.approx(eff)
    assert truth["a"] == pytest.approx(sdb["eus_p"] * P["path_pms_eusp_between"] / pms_sd)
    assert truth["b"] == pytest.approx(sdb["bond"] * P["path_eusp_bond_between"]
                                       / sdb["eus_p"])
    assert truth["b_w"] == pytest.approx(P["path_eusp_bond_within"])
    for k in (1, 2, 3):
        assert truth[f"c{k}"] == pytest.approx(
            sdb["symptoms"] * P["path_bond_symptoms_between"] / sdb["bond"])
        assert truth[f"d{k}"] == pytest.approx(
            sdb["symptoms"] * P["path_eusp_symptoms_between"] / sdb["eus_p"])
        assert truth[f"c_w{k}"] == pytest.approx(P["path_bond_symptoms_within"])


def test_true_paths_signs(truth) -> None:
    assert truth["a0"] > 0 and truth["a"] > 0 and truth["b"] > 0 and truth["b_w"] > 0
    assert all(truth[f"c{k}"] < 0 and truth[f"d{k}"] < 0 for k in (1, 2, 3))


# --- latent_change_data ----------------------------------------------------------------


def test_latent_change_data_complete(latent, change) -> None:
    assert len(latent) == design.N_PATIENTS
    assert latent[design.PATIENT_ID].is_unique
    assert not latent.isna().any().any()
    assert set(latent.columns) == set(change.columns)
    assert set(latent["mcbi"].unique()) == {0.0, 1.0}
    assert (latent.groupby(design.THERAPIST_ID)[["mcbi", "pms"]].nunique() == 1).all().all()
    therapists = latent.drop_duplicates(design.THERAPIST_ID)
    assert len(therapists) == P["n_therapists"]
    assert therapists["mcbi"].sum() == P["n_mcbi"]


def test_latent_change_data_same_people_as_package(latent, change) -> None:
    # the committed package was generated with DEFAULT_SEED: same patients, same therapists
    a = latent.set_index(design.PATIENT_ID).sort_index()
    b = change.set_index(design.PATIENT_ID).sort_index()
    assert list(a.index) == list(b.index)
    assert (a[design.THERAPIST_ID].astype(str) == b[design.THERAPIST_ID].astype(str)).all()
    assert (a["mcbi"] == b["mcbi"]).all()


def test_latent_change_data_is_seeded() -> None:
    again = mechanism.latent_change_data(DEFAULT_SEED)
    other = mechanism.latent_change_data(DEFAULT_SEED + 1)
    first = mechanism.latent_change_data(DEFAULT_SEED)
    pd.testing.assert_frame_equal(first, again)
    assert not np.allclose(first["eusp"].to_numpy()[:10], other["eusp"].to_numpy()[:10])


# --- MODEL -----------------------------------------------------------------------------


def test_model_parses_with_all_true_labels() -> None:
    table, roles = build_partable(mechanism.MODEL)
    labels = set(table["label"].dropna()) - {""}
    paths = mechanism.true_paths()
    assert set(paths["label"]) <= labels
    assert set(mechanism.INDIRECT) <= labels
    # each labelled path is the same regression, at the same level, in the model
    for row in paths.itertuples(index=False):
        match = table[table["label"] == row.label]
        assert len(match) == 1, row.label
        m = match.iloc[0]
        assert (m["lhs"], m["op"], m["rhs"], int(m["level"])) == (
            row.lhs, row.op, row.rhs, row.level), row.label
    observed = set(roles.observed[1]) | set(roles.observed[2])
    assert observed == set(COLUMNS)
    assert set(mechanism.VARIABLES) == set(COLUMNS)


# --- sample_counts ----------------------------------------------------------------------


def test_sample_counts_by_hand(trial) -> None:
    base = {c: [np.nan] * 5 for c in ("eusp", "bond", "som", "dep", "anx")}
    data = pd.DataFrame({design.PATIENT_ID: list("abcde"),
                         design.THERAPIST_ID: ["t1", "t1", "t2", "t3", "t3"],
                         "pms": [1.0, 1.0, np.nan, np.nan, np.nan], "mcbi": 1.0, **base})
    data.loc[0, ["eusp", "bond", "som", "dep", "anx"]] = 1.0  # complete
    data.loc[2, "bond"] = 2.0  # one change only; its therapist has no ΔPMS
    # b (t1) and d, e (t3) have no patient change: t3 drops out
    out = mechanism.sample_counts(trial, data)
    assert out["patients_used"] == 2 and out["therapists_used"] == 2
    assert out["patients_complete"] == 1 and out["therapists_no_pms"] == 1
    assert out["therapists_multi"] == 0  # t1 and t2 keep one used patient each
    assert out["patients_per_therapist_min"] == out["patients_per_therapist_max"] == 1
    assert out["patients_total"] == trial.patient_info[design.PATIENT_ID].nunique()
    assert out["therapists_total"] == trial.therapist_info[design.THERAPIST_ID].nunique()


def test_sample_counts_match_the_estimator(trial, change) -> None:
    from mcbi.stats.msem import fit

    out = mechanism.sample_counts(trial, change)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fit(mechanism.MODEL, change, cluster=mechanism.CLUSTER, se=False,
                  saturated=False, max_iter=5)
    assert out["patients_used"] == res.fit_measures["ntotal"]
    assert out["therapists_used"] == res.fit_measures["nclusters"]


def test_sample_counts_needs_the_model_columns(trial, change) -> None:
    with pytest.raises(ValueError, match="lack the columns"):
        mechanism.sample_counts(trial, change.drop(columns="bond"))
