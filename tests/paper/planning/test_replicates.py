"""The trial's power planning (mcbi.paper.planning.replicates) on the Monte Carlo engine
(mcbi.stats.montecarlo).

The closed-form validation runs through the same Dask machinery as the trial: a
LocalCluster of two worker processes on 127.0.0.1, closed at the end of the module.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _datafixtures import REPO
from mcbi.errors import UserError
from mcbi.paper.planning import replicates as planning
from mcbi.stats import montecarlo as power
from mcbi.synth.simulate import simulate
from mcbi.trial.data import DEFAULT_DATA, load


@pytest.fixture(scope="module")
def client():
    with power.dask_client(workers=2) as c:
        yield c


def test_replicate_seed_depends_on_cell_and_rep_only() -> None:
    assert power.replicate_seed(1, (40, 2), 3) == power.replicate_seed(1, (40, 2), 3)
    seeds = {power.replicate_seed(1, (n, k), r) for n in (40, 63) for k in (1, 2)
             for r in range(5)}
    assert len(seeds) == 20
    assert power.replicate_seed(2, (40, 2), 3) != power.replicate_seed(1, (40, 2), 3)
    # the SeedSequence children that spawn() would give, indexed by the design itself
    child = np.random.SeedSequence(1, spawn_key=(40, 2, 3))
    assert power.replicate_seed(1, (40, 2), 3) == int(child.generate_state(1, np.uint64)[0])


def test_chunks_cover_every_replicate_once() -> None:
    got = power.chunks([(10,), (20,)], reps=7, chunk_size=3)
    assert got == [((10,), 0, 3), ((10,), 3, 6), ((10,), 6, 7),
                   ((20,), 0, 3), ((20,), 3, 6), ((20,), 6, 7)]
    with pytest.raises(ValueError):
        power.chunks([(10,)], reps=0, chunk_size=3)


def test_closed_form_power_formula() -> None:
    assert power.two_means_power(0.0, 1.0, 30) == pytest.approx(0.05)
    # textbook: d = 0.5, n = 64 per group -> 80 % at alpha = 0.05
    assert power.two_means_power(0.5, 1.0, 64) == pytest.approx(0.807, abs=0.002)


def test_monte_carlo_power_matches_closed_form(client) -> None:
    fn = power.TwoMeans(delta=0.4)
    cells, reps = [(20,), (60,), (120,)], 800
    rows = power.run_replicates(fn, cells, reps, seed=11, client=client, chunk_size=100)
    table = power.summarise(rows)
    assert list(table["reps"]) == [reps] * 3
    for row in table.itertuples():
        exact = power.two_means_power(0.4, 1.0, row.cell[0])
        assert abs(row.power - exact) < 3 * math.sqrt(exact * (1 - exact) / reps), row
        assert abs(row.coverage - 0.95) < 3 * math.sqrt(0.95 * 0.05 / reps)
        assert abs(row.bias) < 3 * math.sqrt(2 / row.cell[0] / reps)


def test_same_csv_whatever_chunking_workers_and_cache(client, tmp_path: Path) -> None:
    fn, cells = power.TwoMeans(delta=0.3), [(15,), (30,)]
    with power.dask_client(workers=1) as one:
        a = power.run_replicates(fn, cells, 23, seed=5, client=one, chunk_size=23)
    b = power.run_replicates(fn, cells, 23, seed=5, client=client, chunk_size=4,
                             cache_dir=tmp_path)
    assert power.to_csv(power.summarise(a)) == power.to_csv(power.summarise(b))
    assert power.to_csv(a) == power.to_csv(b)
    # interrupted run: drop two chunks; the rerun computes only those
    files = sorted(tmp_path.rglob("cell-*.json"))
    assert len(files) == 2 * 6
    removed = 0
    for path in (files[0], files[5]):
        first, stop = path.stem.split("-reps-")[1].split("-")
        removed += int(stop) - int(first)
        path.unlink()
    seen = []
    c = power.run_replicates(fn, cells, 23, seed=5, client=client, chunk_size=4,
                             cache_dir=tmp_path, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (46 - removed, 46)
    assert seen[-1] == (46, 46)
    assert power.to_csv(c) == power.to_csv(a)


def test_to_csv_fixed_format() -> None:
    text = power.to_csv(pd.DataFrame({"x": [1 / 3, math.nan], "y": ["a", "b"]}), digits=4)
    assert text == "x,y\n0.3333,a\nNA,b\n"


def test_simulate_takes_a_design() -> None:
    sim = simulate(3, n_therapists=40, patients_per_therapist=3)
    assert len(sim.therapists) == 40 and len(sim.patients) == 120
    assert (sim.therapists["arm"] == "MCBI").sum() == round(40 * 33 / 63)
    assert sim.patients.groupby("therapist_id").size().eq(3).all()
    assert len(simulate(3, n_therapists=126).patients) == 242
    with pytest.raises(ValueError):
        simulate(3, n_therapists=2)


def test_score_in_memory_equals_load() -> None:
    mine, ref = planning.score(simulate()), load(REPO / DEFAULT_DATA)
    for name in ("therapists", "patients", "therapist_change", "patient_change"):
        pd.testing.assert_frame_equal(getattr(mine, name), getattr(ref, name),
                                      check_dtype=False)


def test_trial_replicate_rows() -> None:
    rows = pd.DataFrame(planning.TrialReplicate(n_draws=500)((24, 2), 99))
    assert list(rows["target"]) == list(planning.TARGETS)
    assert rows["truth"].notna().all()
    mech = rows[rows["target"].isin(planning.MECHANISM_TARGETS)]
    assert mech["rung"].nunique() == 1 and mech["rung"].iloc[0] != ""
    ok = rows[~rows["failed"]]
    assert ((ok["ci_lower"] <= ok["estimate"]) & (ok["estimate"] <= ok["ci_upper"])).all()
    # one patient per therapist: the ladder refuses, every mechanism row failed
    single = pd.DataFrame(planning.TrialReplicate(n_draws=500)((12, 1), 5))
    assert single.loc[single["target"].isin(planning.MECHANISM_TARGETS), "failed"].all()


def test_latent_truths_of_the_generator() -> None:
    truth = planning.latent_truths(33 / 63)
    assert truth["pms"] == truth["path_a0"] == 0.6
    assert truth["path_b"] == pytest.approx(1.2 * 0.5 / 0.85)


def _table(powers: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"target": "x", "patients_per_therapist": 2,
                         "n_therapists": list(powers), "power": list(powers.values())})


def test_therapists_needed_interpolates() -> None:
    got = planning.therapists_needed(_table({40: 0.5, 63: 0.7, 100: 0.9}))
    assert got["needed"].iloc[0] == math.ceil(63 + 0.1 / 0.2 * 37)
    never = planning.therapists_needed(_table({40: 0.5, 63: 0.7}))
    assert math.isnan(never["needed"].iloc[0]) and never["text"].iloc[0] == "more than 63"
    first = planning.therapists_needed(_table({40: 0.85, 63: 0.9}))
    assert first["text"].iloc[0] == "40 or fewer"


def test_plan_refuses_bad_requests(client) -> None:
    with pytest.raises(UserError, match="not found"):
        planning.plan([40], [2], 10, 1, client, effects="build",
                      manifest=REPO / "no" / "manifest.json")
    with pytest.raises(UserError, match="--effects must be one of"):
        planning.plan([40], [2], 10, 1, client, effects="data")
    with pytest.raises(UserError, match="at least 4"):
        planning.plan([3], [2], 10, 1, client)
    with pytest.raises(UserError, match="reps"):
        planning.plan([40], [2], 1, 1, client)


def test_plan_table(client) -> None:
    res = planning.plan([20, 40], [2], 80, 3, client, cache_dir=None,
                        replicate=power.TwoMeans(delta=0.5))
    assert list(res.table.columns[:3]) == ["n_therapists", "patients_per_therapist", "target"]
    assert res.table["power"].is_monotonic_increasing


def _listening(pids: set[int]) -> list[str]:
    import psutil
    return [f"{c.laddr.ip}:{c.laddr.port}" for c in psutil.net_connections("inet")
            if c.status == psutil.CONN_LISTEN and c.pid in pids]


@pytest.mark.parametrize("workers", [1, 2])
def test_local_cluster_listens_on_loopback_only(workers: int) -> None:
    import os

    import psutil
    with power.dask_client(workers=workers) as c:
        assert c.submit(int, "41").result() == 41
        me = psutil.Process(os.getpid())
        pids = {me.pid, *(p.pid for p in me.children(recursive=True))}
        addresses = _listening(pids)
        assert addresses and all(a.startswith("127.0.0.1:") for a in addresses), addresses
        assert len(c.scheduler_info()["workers"]) == workers


def test_rungs_shown_by_their_number_in_the_ladder() -> None:
    assert planning.rung_numbers("chain 11; diagonal_between 33; full_bounded 11; none 145") \
        == "2: 11, 3: 33, 4: 11, none: 145"
    assert planning.rung_numbers("diagonal_between 31; full 169") == "1: 169, 3: 31"
    assert planning.rung_numbers("") == ""


def test_display_table_words_a_missing_power_and_a_negative_zero() -> None:
    table = pd.DataFrame({
        "n_therapists": [10, 10], "patients_per_therapist": [1, 1],
        "target": ["pms", "path_a"], "power": [0.23, float("nan")],
        "power_mcse": [0.03, float("nan")], "bias": [-0.001, float("nan")],
        "coverage": [0.95, float("nan")], "failed": [0.0, 1.0],
        "rungs": ["", "none 200"]})
    out = planning.display_table(table)
    assert list(out["Power %"]) == ["23 ± 3", "–"]  # not "– ± –"
    assert list(out["Bias"]) == ["0.00", "–"]  # not "−0.00"
    assert list(out["Rungs"]) == ["", "none: 200"]
