"""The sub-commands in process (fast): usage errors, exit codes, what is printed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from _datafixtures import snapshot
from mcbi.cli import main, make_parser
from mcbi.errors import BuildFailed, DataError, ParameterError, SectionError
from mcbi.synth.simulate import DEFAULT_SEED
from mcbi.trial.content import content_hash
from mcbi.trial.design import DEFAULT_DATA


def test_validate_missing_folder_exit_code(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert "rule 'folder exists' broken" in capsys.readouterr().err


def test_simulate_with_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "new" / "pkg"
    assert main(["simulate", "--out", str(out), "--seed", "42"]) == 0
    assert f"(seed 42) to {out}" in capsys.readouterr().out
    assert len(snapshot(out)) == 5
    assert "seed 42)" in (out / "datapackage.json").read_text("utf-8")


def test_simulate_default_seed_is_the_shipped_one() -> None:
    args = make_parser().parse_args(["simulate", "--out", "x"])
    assert args.seed is None  # resolved to DEFAULT_SEED by the command
    assert DEFAULT_SEED == 20230401


@pytest.mark.parametrize(
    "argv",
    [[], ["simulate"], ["simulate", "--out", "x", "--seed", "abc"], ["validate"],
     ["frobnicate"]],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(("error", "code"), [
    (DataError("data package folder not found: x"), 2),
    (SectionError("unknown section 'zz'"), 2),
    (ParameterError("section s has no parameter p"), 2),
    (BuildFailed("notebooks/x.ipynb, cell 1 (`a`): E: e"), 1),
])
def test_errors_map_to_exit_codes(error: Exception, code: int, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr("mcbi.book.pipeline.build", fail)
    assert main(["build"]) == code
    out, err = capsys.readouterr()
    assert out == "" and err == f"error: {error}\n"


def test_build_checks_the_default_data_at_the_door_and_prints_progress(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = {}

    def fake_build(data: object, **kwargs: object) -> None:
        seen.update(kwargs, data=data)
        kwargs["progress"]("[book] up to date")  # type: ignore[operator]

    monkeypatch.setattr("mcbi.book.pipeline.build", fake_build)
    assert main(["build", "--force"]) == 0
    checked = seen["checked"]
    assert seen["data"] == checked.path == (Path.cwd() / DEFAULT_DATA).resolve()
    assert checked.typed == DEFAULT_DATA and checked.synthetic is True
    assert checked.sha256 == content_hash(DEFAULT_DATA) and seen["force"] is True
    assert capsys.readouterr().out == "[book] up to date\n"
    assert seen["jobs"] == (os.cpu_count() or 1)
    assert main(["build", "--jobs", "1"]) == 0 and seen["jobs"] == 1
    seen.clear()
    assert main(["build", "--data", "other"]) == 2
    assert not seen  # refused at the door: the build never started
    assert "data package folder not found: other" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0", "two"])
def test_build_refuses_a_bad_jobs_value(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", "--jobs", bad])
    assert info.value.code == 2 and "--jobs" in capsys.readouterr().err


def test_run_prints_progress_and_maps_failure(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    def fake_run(section: str, params: dict, **kwargs: object) -> None:
        kwargs["progress"](f"[{section}] FAILED")  # type: ignore[operator]
        raise BuildFailed(f"{section} failed: {params}")

    monkeypatch.setattr("mcbi.book.pipeline.run_section", fake_run)
    assert main(["run", "02_x", "-p", "alpha", "0.1"]) == 1
    out, err = capsys.readouterr()
    assert out == "[02_x] FAILED\n"
    assert err == "error: 02_x failed: {'alpha': '0.1'}\n"


# --- plan: Monte Carlo power on Dask -------------------------------------------------

def _external_cluster(tmp: Path, n_workers: int = 2):
    """Start ``dask scheduler`` and ``n_workers`` ``dask worker`` processes on 127.0.0.1.

    Returns ``(address, processes)``; the scheduler stops itself after 120 s idle and the
    workers 30 s after losing it, should the test's own clean-up not run.
    """
    import os
    import subprocess
    import sys
    import time

    dask = Path(sys.executable).with_name("dask")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    info = tmp / "scheduler.json"
    procs = [subprocess.Popen(
        [str(dask), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(info), "--idle-timeout", "120"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for _ in range(600):
        if info.is_file() and info.stat().st_size:
            break
        time.sleep(0.1)
    import json

    address = json.loads(info.read_text())["address"]
    for _ in range(n_workers):
        procs.append(subprocess.Popen(
            [str(dask), "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
             "--nworkers", "1", "--no-dashboard", "--death-timeout", "30",
             "--local-directory", str(tmp / "dask-worker")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client

    with Client(address) as client:
        client.wait_for_workers(n_workers, timeout=120)
    return address, procs


def _stop(procs) -> None:
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - last resort: kill the process we started
            proc.kill()


def _plan_argv(out: Path, *extra: str) -> list[str]:
    return ["plan", "--therapists", "20", "40", "--patients-per-therapist", "2",
            "--reps", "40", "--seed", "3", "--out", str(out), "--no-cache",
            "--chunk-size", "7", *extra]


def test_plan_same_csv_local_and_external_cluster(tmp_path: Path, monkeypatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from mcbi.paper.planning import replicates as planning
    from mcbi.stats import montecarlo as power

    # the engine and the CLI as they are; the trial's replicate swapped for the fast
    # closed-form one so that the check of the machinery stays quick
    monkeypatch.setattr(planning, "TrialReplicate", lambda **_: power.TwoMeans(delta=0.5))
    assert main(_plan_argv(tmp_path / "one.csv", "--workers", "1")) == 0
    assert "wrote" in capsys.readouterr().out
    address, procs = _external_cluster(tmp_path)
    try:
        assert main(_plan_argv(tmp_path / "ext.csv", "--scheduler", address)) == 0
    finally:
        _stop(procs)
    one = (tmp_path / "one.csv").read_bytes()
    assert one == (tmp_path / "ext.csv").read_bytes()
    assert one.startswith(b"n_therapists,patients_per_therapist,target,reps,n_ok,power,")


@pytest.mark.parametrize("extra, message", [
    (["--effects", "build", "--manifest", "no/such/manifest.json"],
     "manifest.json not found"),
    (["--workers", "0"], "at least 1"),
    (["--chunk-size", "0"], "at least 1"),
    (["--scheduler", "not-an-address"], "cannot reach the Dask scheduler"),
])
def test_plan_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                          extra: list[str], message: str) -> None:
    assert main(_plan_argv(tmp_path / "x.csv", *extra)) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_plan_bad_design_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--therapists", "2", "--patients-per-therapist", "1", "--reps", "5",
            "--seed", "1", "--out", str(tmp_path / "x.csv")]
    assert main(argv) == 2
    assert "at least 4 therapists" in capsys.readouterr().err


def test_plan_unreachable_scheduler_exit_2(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = main(_plan_argv(tmp_path / "x.csv", "--scheduler", "tcp://127.0.0.1:9"))
    assert code == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


@pytest.mark.slow
def test_plan_trial_same_csv_one_worker_and_external_cluster(tmp_path: Path) -> None:
    argv = ["plan", "--therapists", "20", "--patients-per-therapist", "2", "--reps", "2",
            "--seed", "9", "--no-cache", "--chunk-size", "1"]
    assert main([*argv, "--out", str(tmp_path / "one.csv"), "--workers", "1"]) == 0
    address, procs = _external_cluster(tmp_path)
    try:
        assert main([*argv, "--out", str(tmp_path / "ext.csv"), "--scheduler", address]) == 0
    finally:
        _stop(procs)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "ext.csv").read_bytes()


def test_plan_effects_build_reach_the_replicates(tmp_path: Path, monkeypatch) -> None:
    import pandas as pd

    from _plan_helpers import results, write
    from mcbi.paper.planning import replicates as planning
    from mcbi.stats import montecarlo as power

    seen = []

    def fake(**kw):
        seen.append(dict(kw["effects"]))
        return power.TwoMeans(delta=0.5)

    monkeypatch.setattr(planning, "TrialReplicate", fake)
    manifest = write(tmp_path, results(pms_d=-0.7))
    assert main(_plan_argv(tmp_path / "b.csv", "--effects", "build", "--manifest",
                           str(manifest))) == 0
    assert seen[-1]["pms_effect"] == -0.7 and "direct_bond" in seen[-1]
    assert main(_plan_argv(tmp_path / "g.csv")) == 0
    assert seen[-1] == {}
    build, gen = pd.read_csv(tmp_path / "b.csv"), pd.read_csv(tmp_path / "g.csv")
    assert set(build["effects"]) == {"build"} and set(gen["effects"]) == {"generator"}
    assert list(build.columns[-3:]) == ["effects", "effects_origin", "effect_latent"]
    assert build["effects_origin"].str.startswith("build at commit unknown").all()
    assert gen["effects_origin"].isna().all()  # empty for the generator's effects


@pytest.mark.slow
def test_plan_effects_build_end_to_end(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    from _plan_helpers import results, write

    manifest = write(tmp_path, results(pms_d=1.2))
    out = tmp_path / "plan.csv"
    argv = ["plan", "--therapists", "12", "16", "--patients-per-therapist", "2", "--reps", "2",
            "--seed", "4", "--out", str(out), "--no-cache", "--chunk-size", "1",
            "--workers", "1", "--effects", "build", "--manifest", str(manifest)]
    assert main(argv) == 0
    assert "pms_effect 1.200" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert len(table) == 2 * 12 and set(table["effects"]) == {"build"}
    assert (table.loc[table["target"] == "pms", "effect_latent"] == 1.2).all()
    assert table["reps"].eq(2).all()


def test_import_refusal_exits_2_with_the_problems(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[1] / "docs" / "mapa-ejemplo.yaml"
    code = main(["import", str(tmp_path / "terapeutas.sav"), str(tmp_path / "pacientes.sav"),
                 "--mapping", str(example), "--out", str(tmp_path / "pkg")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: import refused (2 problem(s)):")
    assert "- terapeutas.sav: rule 'file exists' broken: there is no file" in err
    assert "Traceback" not in err and not (tmp_path / "pkg").exists()


def test_import_with_mapping_needs_out(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "a.sav", "--mapping", "m.yaml"]) == 2
    assert "--out DIR is required" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # --mapping or --draft-mapping, not both
        main(["import", "a.sav", "--mapping", "m.yaml", "--draft-mapping", "d.yaml"])
    assert info.value.code == 2


def test_plan_effects_null_writes_the_type1_tables_and_a_clean_record(
        tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The type-I study through the CLI: both tables, and a record whose commit is the code's
    (the run's own outputs, rewriting a tracked file, do not make it 'dirty')."""
    import json
    import subprocess

    import pandas as pd

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    out = tmp_path / "results" / "type1.csv"
    out.parent.mkdir()
    out.write_text("old\n", "utf-8")
    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x")
    monkeypatch.chdir(tmp_path)
    argv = ["plan", "--therapists", "8", "--patients-per-therapist", "1", "--reps", "2",
            "--seed", "5", "--effects", "null", "--workers", "1", "--no-cache",
            "--out", "results/type1.csv"]
    assert main(argv) == 0
    assert "designs x waves x tests" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert set(table["method"]) == {"z_ml", "z_reml", "satterthwaite", "kenward_roger"}
    assert set(table["time"]) == {"post", "followup"} and (table["tests"] > 0).all()
    units = pd.read_csv(tmp_path / "results" / "type1_units.csv")
    assert list(units.columns[:3]) == ["method", "units_from", "units_to"]
    meta = json.loads((tmp_path / "results" / "type1.meta.json").read_text("utf-8"))
    assert "--effects null" in meta["command"] and meta["reps"] == 2
    assert meta["code_commit"] != "unknown" and not meta["code_commit"].endswith("-dirty")
