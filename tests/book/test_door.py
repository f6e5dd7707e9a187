"""Checks at the door (mcbi.book.door and the command line): bad parameters and bad data are
refused with exit 2, the path as typed and the rule, before any kernel starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from _datafixtures import DATA, REPO, set_cell
from mcbi.book.door import check_data
from mcbi.book.layout import Layout
from mcbi.cli import main
from mcbi.errors import DataError
from mcbi.trial.content import content_hash


def _no_kernel(*args, **kwargs):
    raise AssertionError("a kernel was started although the door should have refused")


@pytest.fixture
def no_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any notebook is executed."""
    monkeypatch.setattr("mcbi.book.rerun.execute_notebook", _no_kernel)
    monkeypatch.setattr("mcbi.book.runner.execute_notebook", _no_kernel)
    monkeypatch.setattr("mcbi.book.pipeline.build", _no_kernel)


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


@pytest.fixture
def bad_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the shipped package with one bad cell, typed as a relative path."""
    folder = tmp_path / "BAD"
    shutil.copytree(DATA, folder)
    set_cell(folder / "therapists.csv", "age", "old")
    return "BAD"


@pytest.mark.parametrize(("name", "value", "words"), [
    ("alpha", "1.5", "parameter alpha of 02_therapists must be a significance level"),
    ("alpha", "0", "above 0 and at most 0.5"),
    ("alpha", "abc", "expects a number"),
    ("n_draws", "10", "at least 1000"),
])
def test_run_refuses_bad_parameters_before_any_kernel(
    in_repo, no_kernel, capsys: pytest.CaptureFixture[str], name: str, value: str, words: str
) -> None:
    section = "05_mechanisms" if name == "n_draws" else "02_therapists"
    assert main(["run", section, "-p", name, value]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["synthetic", "data_sha256"])
def test_run_refuses_the_parameters_the_command_sets(in_repo, no_kernel, capsys,
                                                     name: str) -> None:
    assert main(["run", "02_therapists", "-p", name, "yes"]) == 2
    assert "set by the command from the data package" in capsys.readouterr().err


def test_build_refuses_bad_data_with_the_typed_path(tmp_path, bad_package, no_kernel,
                                                    monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--data", bad_package]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad_package}: invalid data package")
    assert "therapists.csv, column 'age'" in err and "rule" in err
    assert "_build/data" not in err and "Traceback" not in err


def test_run_refuses_bad_data_given_as_a_parameter(in_repo, no_kernel, tmp_path, capsys) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(DATA, folder)
    set_cell(folder / "patients.csv", "age", "x")
    assert main(["run", "02_therapists", "-p", "data_dir", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"{folder.as_posix()}: invalid data package" in err and "patients.csv" in err


def test_validate_exits_2_on_invalid_data(tmp_path, bad_package, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", bad_package]) == 2
    assert "column 'age'" in capsys.readouterr().err
    assert main(["validate", str(DATA)]) == 0


def test_check_data_validates_once_per_content_and_code(tmp_path: Path,
                                                        monkeypatch) -> None:
    folder = tmp_path / "pkg"
    shutil.copytree(DATA, folder)
    monkeypatch.chdir(tmp_path)
    calls: list[Path] = []
    layout = Layout(tmp_path)

    def validate(path: Path) -> None:
        calls.append(path)

    first = check_data(layout, "pkg", validate, lambda p: True)
    assert first.typed == "pkg" and first.path == folder.resolve()
    assert first.sha256 == content_hash(folder) and first.synthetic is True
    again = check_data(layout, "pkg", validate, lambda p: False)
    assert again == first and calls == [Path("pkg")]  # remembered: not validated again
    set_cell(folder / "therapists.csv", "age", "51")
    changed = check_data(layout, "pkg", validate, lambda p: False)
    assert len(calls) == 2 and changed.sha256 != first.sha256 and not changed.synthetic


def test_check_data_remembers_only_valid_packages(tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(DATA, tmp_path / "pkg")
    monkeypatch.chdir(tmp_path)
    layout = Layout(tmp_path)

    def refuse(path: Path) -> None:
        raise DataError(f"{path}: invalid")

    for _ in range(2):
        with pytest.raises(DataError, match="pkg: invalid"):
            check_data(layout, "pkg", refuse, lambda p: True)
    with pytest.raises(DataError, match="data package folder not found: nowhere"):
        check_data(layout, "nowhere", refuse, lambda p: True)
