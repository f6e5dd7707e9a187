"""The synthetic trial: deterministic output, the trial's design, missing data, truths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _datafixtures import DATA, run_cli, snapshot
from mcbi.synth.parameters import param
from mcbi.synth.simulate import DEFAULT_SEED, SimulatedTrial, implied_effects, simulate
from mcbi.trial import design
from mcbi.trial.validate import validate_package

FILES = ["datapackage.json", design.THERAPISTS_FILE, design.PATIENTS_FILE,
         design.THERAPIST_RESPONSES_FILE, design.PATIENT_RESPONSES_FILE]
SEEDS = range(1, 11)  # for rates averaged over datasets


def _read(path: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(path / name, dtype={"therapist_id": str, "patient_id": str},
                       keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def committed() -> dict[str, pd.DataFrame]:
    return {name: _read(DATA, name) for name in FILES[1:]}


@pytest.fixture(scope="module")
def trials() -> list[SimulatedTrial]:
    return [simulate(seed) for seed in SEEDS]


# ------------------------------------------------------------------------- determinism


def test_cli_default_seed_reproduces_committed_package_byte_for_byte(tmp_path: Path) -> None:
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        done = run_cli("simulate", "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert f"seed {DEFAULT_SEED}" in done.stdout
    assert sorted(p.name for p in outs[0].iterdir()) == sorted(FILES)
    assert sorted(p.name for p in DATA.iterdir()) == sorted(FILES)
    for name in FILES:
        committed = (DATA / name).read_bytes()
        assert (outs[0] / name).read_bytes() == committed, name
        assert (outs[1] / name).read_bytes() == committed, name


def test_other_seed_gives_other_valid_data(tmp_path: Path) -> None:
    out = tmp_path / "seed1"
    done = run_cli("simulate", "--out", str(out), "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert "seed 1)" in done.stdout
    for name in FILES:
        assert (out / name).read_bytes() != (DATA / name).read_bytes(), name
    report = validate_package(out)
    assert report.valid, report.message()


def test_simulate_is_a_function_of_the_seed() -> None:
    a, b, c = simulate(5), simulate(5), simulate(6)
    for name in ("therapists", "patients", "therapist_responses", "patient_responses",
                 "therapist_latent", "patient_latent"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.therapist_latent.equals(c.therapist_latent)
    assert a.seed == 5


def test_simulate_default_seed_matches_committed(committed: dict[str, pd.DataFrame]) -> None:
    trial = simulate()
    assert trial.seed == DEFAULT_SEED
    pd.testing.assert_frame_equal(
        trial.therapists.reset_index(drop=True), committed[design.THERAPISTS_FILE],
        check_dtype=False)
    got = trial.patient_responses
    want = committed[design.PATIENT_RESPONSES_FILE]
    assert got[["patient_id", "wave"]].to_numpy().tolist() == want[
        ["patient_id", "wave"]].to_numpy().tolist()
    np.testing.assert_array_equal(got.iloc[:, 2:].to_numpy(dtype=float, na_value=np.nan),
                                  want.iloc[:, 2:].to_numpy(dtype=float))


# ---------------------------------------------------------------------------- design


def test_committed_therapists_and_arms(committed: dict[str, pd.DataFrame]) -> None:
    t = committed[design.THERAPISTS_FILE]
    assert len(t) == 63
    assert t["therapist_id"].tolist() == [f"T{i:02d}" for i in range(1, 64)]
    assert t["arm"].value_counts().to_dict() == {"MCBI": 33, "control": 30}


def test_committed_patients_and_clusters(committed: dict[str, pd.DataFrame]) -> None:
    t, p = committed[design.THERAPISTS_FILE], committed[design.PATIENTS_FILE]
    assert len(p) == 121
    assert p["patient_id"].is_unique
    sizes = p["therapist_id"].value_counts().reindex(t["therapist_id"], fill_value=0)
    assert sizes.between(1, 4).all(), sizes[~sizes.between(1, 4)]
    assert sizes.sum() == 121
    assert set(p["therapist_id"]) <= set(t["therapist_id"])  # FK


@pytest.mark.parametrize(
    ("name", "id_col", "persons"),
    [(design.THERAPIST_RESPONSES_FILE, "therapist_id", design.THERAPISTS_FILE),
     (design.PATIENT_RESPONSES_FILE, "patient_id", design.PATIENTS_FILE)],
)
def test_committed_responses_keys(committed: dict[str, pd.DataFrame], name: str,
                                  id_col: str, persons: str) -> None:
    resp = committed[name]
    assert set(resp["wave"]) == set(design.WAVES)
    assert not resp.duplicated([id_col, "wave"]).any()  # PK
    ids = set(committed[persons][id_col])
    assert set(resp[id_col]) <= ids  # FK
    # everyone answered at baseline; dropout removes later waves only
    assert set(resp.loc[resp["wave"] == "pre", id_col]) == ids


def test_design_holds_for_every_seed(trials: list[SimulatedTrial]) -> None:
    for trial in trials:
        assert (trial.therapists["arm"] == "MCBI").sum() == 33
        assert (trial.therapists["arm"] == "control").sum() == 30
        sizes = trial.patients["therapist_id"].value_counts()
        assert len(trial.patients) == 121
        assert len(sizes) == 63 and sizes.between(1, 4).all()
    # the allocation order is shuffled by the seed
    orders = {tuple(t.therapists["arm"]) for t in trials}
    assert len(orders) == len(trials)


def _dropout(resp: pd.DataFrame, n: int) -> dict[str, float]:
    counts = resp["wave"].value_counts()
    return {w: 1 - counts.get(w, 0) / n for w in design.WAVES[1:]}


def test_dropout_rates_near_parameters(trials: list[SimulatedTrial],
                                       committed: dict[str, pd.DataFrame]) -> None:
    t_rates = [_dropout(t.therapist_responses, 63) for t in trials]
    p_rates = [_dropout(t.patient_responses, 121) for t in trials]
    for rates, (post, fu) in ((t_rates, param("therapist_dropout")),
                              (p_rates, param("patient_dropout"))):
        assert np.mean([r["post"] for r in rates]) == pytest.approx(post, abs=0.04)
        assert np.mean([r["followup"] for r in rates]) == pytest.approx(fu, abs=0.05)
    # the committed package on its own: loose bounds
    t = _dropout(committed[design.THERAPIST_RESPONSES_FILE], 63)
    p = _dropout(committed[design.PATIENT_RESPONSES_FILE], 121)
    assert 0.0 < t["post"] < 0.2 and 0.03 < t["followup"] < 0.3
    assert 0.05 < p["post"] < 0.3 and 0.15 < p["followup"] < 0.45


def test_dropout_is_more_likely_for_low_baseline(trials: list[SimulatedTrial]) -> None:
    gaps = []
    for trial in trials:
        lat = trial.patient_latent
        base = lat[lat["wave"] == "pre"].set_index("patient_id")["bond"]
        present = set(trial.patient_responses.loc[
            trial.patient_responses["wave"] == "followup", "patient_id"])
        dropped = ~base.index.isin(list(present))
        gaps.append(base[dropped].mean() - base[~dropped].mean())
    assert np.mean(gaps) < -0.15


@pytest.mark.parametrize("table", ["therapist_responses", "patient_responses"])
def test_item_missingness_about_one_percent(committed: dict[str, pd.DataFrame],
                                            table: str) -> None:
    resp = committed[f"{table}.csv"]
    share = resp.iloc[:, 2:].isna().to_numpy().mean()
    assert share == pytest.approx(param("item_missing_rate"), abs=0.004)


def test_items_within_range_for_another_seed() -> None:
    from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS

    trial = simulate(11)
    for resp, instruments in ((trial.therapist_responses, THERAPIST_INSTRUMENTS),
                              (trial.patient_responses, PATIENT_INSTRUMENTS)):
        for ins in instruments:
            values = resp[ins.item_columns].stack().dropna().astype(int)
            assert values.between(ins.low, ins.high).all(), ins.code
            assert not values.isin(ins.excluded_values).any(), ins.code
            assert values.nunique() >= 3, ins.code  # responses actually vary


# ------------------------------------------------------------------------ latent truth


def test_latent_truth_tables(trials: list[SimulatedTrial]) -> None:
    trial = trials[0]
    t, p = trial.therapist_latent, trial.patient_latent
    assert list(t.columns[:3]) == ["therapist_id", "arm", "wave"]
    assert len(t) == 63 * 3 and not t.isna().any().any()
    assert list(p.columns[:4]) == ["patient_id", "therapist_id", "arm", "wave"]
    assert len(p) == 121 * 3 and not p.isna().any().any()
    assert {"pms", "eus_t", "dass_dep"} <= set(t.columns)
    assert {"eus_p", "bond", "bsi_som", "phi", "dpms"} <= set(p.columns)
    arm = trial.therapists.set_index("therapist_id")["arm"]
    assert (t["arm"] == t["therapist_id"].map(arm)).all()
    assert (p["arm"] == p["therapist_id"].map(arm)).all()
    home = trial.patients.set_index("patient_id")["therapist_id"]
    assert (p["therapist_id"] == p["patient_id"].map(home)).all()


def test_latent_baseline_is_standardized(trials: list[SimulatedTrial]) -> None:
    pre = pd.concat([t.therapist_latent[t.therapist_latent["wave"] == "pre"] for t in trials])
    assert pre["pms"].mean() == pytest.approx(0, abs=0.15)
    assert pre["pms"].std() == pytest.approx(1, abs=0.1)


def test_implied_effects_by_hand() -> None:
    tab = implied_effects().set_index(["outcome", "wave"])
    assert len(tab) == 12
    p = 33 / 63
    pms_sd = np.sqrt(0.6**2 * p * (1 - p) + 0.4**2)
    eus_post = 0.85 * 0.45 * 0.6 / pms_sd  # sd between x a x standardized PMS effect
    assert tab.loc[("eus_p", "post"), "implied"] == pytest.approx(eus_post)
    assert tab.loc[("eus_p", "followup"), "implied"] == pytest.approx(0.33 * eus_post)
    assert tab.loc[("bond", "post"), "implied"] == pytest.approx(1.2 * 0.5 * eus_post / 0.85)
    assert tab.loc[("eus_p", "post"), "study_target"] == 0.45


def test_write_package_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    from mcbi.errors import UserError
    from mcbi.synth.simulate import write_package

    out = tmp_path / "real"
    out.mkdir()
    (out / "therapists.csv").write_text("precious real data\n", "utf-8")
    before = snapshot(out)
    with pytest.raises(UserError, match="not empty") as info:
        write_package(out, seed=3)
    assert str(out) in str(info.value) and "--force" in str(info.value)
    assert snapshot(out) == before
    (tmp_path / "a-file").write_text("x", "utf-8")
    with pytest.raises(UserError, match="not a folder"):
        write_package(tmp_path / "a-file", seed=3)


def test_write_package_force_overwrites_only_the_package_files(tmp_path: Path) -> None:
    from mcbi.synth.simulate import write_package

    out = tmp_path / "pkg"
    out.mkdir()
    (out / "notes.txt").write_text("kept", "utf-8")
    (out / "therapists.csv").write_text("stale", "utf-8")
    write_package(out, seed=3, force=True)
    assert (out / "notes.txt").read_text("utf-8") == "kept"
    assert sorted(p.name for p in out.iterdir()) == sorted([*FILES, "notes.txt"])
    assert validate_package(out).valid
    empty = tmp_path / "empty"
    empty.mkdir()
    assert write_package(empty, seed=3) == empty  # an existing empty folder is fine


def test_cli_simulate_refuses_non_empty_folder_without_force(tmp_path: Path) -> None:
    out = tmp_path / "data" / "real"
    out.mkdir(parents=True)
    (out / "patients.csv").write_text("precious\n", "utf-8")
    done = run_cli("simulate", "--out", str(out))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert str(out) in done.stderr and "--force" in done.stderr
    assert (out / "patients.csv").read_text("utf-8") == "precious\n"


def test_written_record_carries_the_content_hash(tmp_path: Path) -> None:
    import json

    from mcbi.synth.simulate import package_files, write_package
    from mcbi.trial.content import content_hash, hash_files

    out = write_package(tmp_path / "pkg", seed=4)
    generator = json.loads((out / "datapackage.json").read_text("utf-8"))["generator"]
    assert generator["seed"] == 4
    assert generator["content_sha256"] == content_hash(out)
    files = package_files(4)
    assert generator["content_sha256"] == hash_files(files)
    assert {name: (out / name).read_bytes() for name in FILES} == files


def test_simulate_writes_nothing_outside_out(tmp_path: Path) -> None:
    from mcbi.synth.simulate import write_package

    before = snapshot(DATA)
    out = write_package(tmp_path / "nested" / "pkg", seed=3)
    assert out == tmp_path / "nested" / "pkg"
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert snapshot(DATA) == before


# --------------------------------------------------------------------- recovery (slow)

RECOVERY_SEEDS = range(1000, 1200)  # 200 datasets, a few minutes on one core


@pytest.mark.slow
def test_generating_process_recovers_its_parameters() -> None:
    """The LMM on the latent truths recovers the generating arm effects, on average.

    Over 200 seeds, ``mcbi.stats.lmm.fit_lmm`` is fitted to the latent traits (no measurement
    error, no dropout) of therapist PMS (two-level: waves within therapists) and of the
    patients' perceived empathy EUS-P (three-level: waves within patients within
    therapists, with one therapist x wave random intercept variance per wave,
    ``cluster_time="by_time"``). The mean between-arm difference in change must lie within
    3 Monte Carlo standard errors (SD of the estimates / sqrt(number of seeds)) of the
    truth: ``pms_effect`` = (0.6, 0.6) and ``implied_effects()`` for eus_p (0.459 post,
    0.152 follow-up). The ratio of the mean model SE to the SD of the estimates (SE
    calibration) is printed for every row and, for EUS-P, must lie in 0.8-1.25 at both
    waves. Over these seeds the EUS-P ratio was about 0.64 (post) and 1.33 (follow-up)
    without a therapist x wave intercept, 0.82 and 1.58 with one common therapist x wave
    variance (``cluster_time=True``: the generator's therapist-level change variance is
    larger at post than at follow-up, which one variance cannot follow), and 0.94 and 1.06
    with one variance per wave. With 200 seeds the SD itself has a Monte Carlo error of
    about 5%, so the bound leaves about three such errors of room.

    Run it with ``make test-slow`` or ``.venv/bin/pytest -m slow`` (about 2 minutes);
    ``python benchmarks/recovery.py`` prints the same figures.
    """
    import time

    from mcbi.synth.recovery import seed_estimates, summarize

    start = time.perf_counter()
    estimates = pd.concat([seed_estimates(seed) for seed in RECOVERY_SEEDS],
                          ignore_index=True)
    elapsed = time.perf_counter() - start
    not_converged = estimates.loc[~estimates["converged"], ["seed", "outcome"]]
    assert not_converged.empty, not_converged.drop_duplicates().values.tolist()
    n = len(RECOVERY_SEEDS)
    print(f"\nrecovery over {n} seeds in {elapsed:.0f} s")
    failures = []
    for row in summarize(estimates).itertuples():
        key, true, mean, mcse, ratio = (row.outcome, row.wave), row.truth, row.mean, \
            row.mc_se, row.se_ratio
        print(f"{key[0]:>6} {key[1]:>9}: truth {true:.4f}  mean {mean:.4f}  "
              f"MC SE {mcse:.4f}  z {row.z:+.2f}  SD {row.sd:.4f}  "
              f"mean model SE {row.mean_se:.4f}  ratio {ratio:.2f}")
        if abs(mean - true) >= 3 * mcse:
            failures.append(f"{key}: mean {mean:.4f} vs truth {true:.4f} (MC SE {mcse:.4f})")
        if key[0] == "eus_p" and not 0.8 <= ratio <= 1.25:
            failures.append(f"{key}: SE ratio {ratio:.2f} outside 0.8-1.25")
    assert not failures, "\n".join(failures)


# ----------------------------------------------------------------- overridden effects


def test_empty_effects_give_the_generator_output() -> None:
    a, b = simulate(5, n_therapists=20, patients_per_therapist=2), simulate(
        5, n_therapists=20, patients_per_therapist=2, effects={})
    for name in ("therapist_responses", "patient_responses", "patient_latent"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def _latent_change(sim: SimulatedTrial, table: str, scale: str, key: str) -> pd.Series:
    lat = getattr(sim, table).set_index([key, design.WAVE])[scale]
    return lat.xs("post", level=design.WAVE) - lat.xs("pre", level=design.WAVE)


def test_overridden_effects_are_generated() -> None:
    big = {"n_therapists": 600, "patients_per_therapist": 1}
    for pms in (2.0, -2.0):
        sim = simulate(7, effects={"pms_effect": pms, "teca_effect": -pms}, **big)
        arm = sim.therapist_latent.groupby(design.THERAPIST_ID)[design.ARM].first()
        for scale, effect in (("pms", pms), ("teca_es", -pms)):
            change = _latent_change(sim, "therapist_latent", scale, design.THERAPIST_ID)
            diff = change[arm == design.TREATED].mean() - change[arm == design.CONTROL].mean()
            assert diff == pytest.approx(effect, abs=0.15)
    # a direct effect adds exactly `value * arm` to the patients' post change, same draws
    base = simulate(7, **big)
    direct = simulate(7, effects={"direct_bond": 1.5}, **big)
    arm = base.patient_latent.groupby(design.PATIENT_ID)[design.ARM].first()
    extra = (_latent_change(direct, "patient_latent", "bond", design.PATIENT_ID)
             - _latent_change(base, "patient_latent", "bond", design.PATIENT_ID))
    assert np.allclose(extra, 1.5 * (arm == design.TREATED))


def test_implied_effects_follow_the_overrides() -> None:
    base = implied_effects().set_index(["outcome", "wave"])["implied"]
    tab = implied_effects({"direct_bond": 0.5, "path_eusp_bond_between": 0.0}).set_index(
        ["outcome", "wave"])["implied"]
    assert tab["bond", "post"] == pytest.approx(0.5)
    assert tab["eus_p", "post"] == base["eus_p", "post"]
    assert tab["bond", "followup"] == pytest.approx(0.5 * param("followup_carryover")["bond"])


@pytest.mark.parametrize("effects, message", [
    ({"bogus": 1.0}, "unknown effect"),
    ({"path_pms_eusp_between": 1.2}, r"\[-1, 1\]"),
    ({"pms_effect": float("nan")}, "finite"),
])
def test_bad_effects_refused(effects: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate(1, n_therapists=8, patients_per_therapist=1, effects=effects)
