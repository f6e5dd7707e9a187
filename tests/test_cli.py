"""The sub-commands in process (fast): usage errors, exit codes, what is printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from _datafixtures import snapshot
from mcbi.cli import main, make_parser
from mcbi.errors import BuildFailed, DataError, ParameterError, SectionError
from mcbi.synth.simulate import DEFAULT_SEED
from mcbi.trial.data import DEFAULT_DATA


def test_validate_missing_folder_exit_code(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope")]) == 1
    assert "rule 'folder exists' broken" in capsys.readouterr().out


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


def test_build_passes_the_default_data_folder_and_prints_progress(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = {}

    def fake_build(data: object, **kwargs: object) -> None:
        seen.update(kwargs, data=data)
        kwargs["progress"]("[book] up to date")  # type: ignore[operator]

    monkeypatch.setattr("mcbi.book.pipeline.build", fake_build)
    assert main(["build", "--force"]) == 0
    assert seen["data"] == DEFAULT_DATA and seen["force"] is True
    assert capsys.readouterr().out == "[book] up to date\n"
    assert main(["build", "--data", "other"]) == 0
    assert seen["data"] == "other"


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
