"""The validator on the committed package and on every kind of bad input.

Each bad case is a modified copy of ``data/trial`` validated through the command line
(``python -m mcbi validate DIR``), as a user would. A case passes when the exit code is
non-zero, nothing looks like a traceback, the message names the file, the column (where
there is one) and the broken rule, and the folder is left byte for byte as it was.

The subprocesses are started together (one per core) in a module fixture: each pays
about 1.5 s of start-up (pandas, frictionless), which would otherwise dominate the suite.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

import mcbi.trial.data
from _datafixtures import (
    DATA,
    copy_package,
    drop_column,
    duplicate_row,
    rename_column,
    run_cli,
    set_cell,
    snapshot,
)
from mcbi.trial.validate import DataValidationError, Problem, require_valid

T, P = "therapists.csv", "patients.csv"
TR, PR = "therapist_responses.csv", "patient_responses.csv"
DESC = "datapackage.json"


@dataclass(frozen=True)
class Case:
    """A way to break a copy of the package and what the message must say."""

    id: str
    mutate: Callable[[Path], Path | None]  # may return another path to validate
    file: str  # file named in the message ("" = the folder itself)
    column: str | None  # column named in the message, None where there is none
    rule: str  # the rule as printed: rule '<rule>'
    extra: str = ""  # another phrase the message must contain


def _latin1(path: Path) -> None:
    data = path.read_bytes()
    assert b"anxiety" in data
    # 'é' in Latin-1 is the single byte 0xE9, which is not valid UTF-8
    path.write_bytes(data.replace(b"anxiety", "anxiété".encode("latin-1"), 1))


def _semicolons(path: Path) -> None:
    path.write_text(path.read_text("utf-8").replace(",", ";"), encoding="utf-8")


def _header_only(path: Path) -> None:
    header = path.read_text("utf-8").split("\n", 1)[0]
    path.write_text(header + "\n", encoding="utf-8")


def _bad_json(path: Path) -> None:
    text = path.read_text("utf-8").rstrip()
    path.write_text(text[:-1] + ",\n", encoding="utf-8")  # drop the closing brace


def _drop_declared(path: Path, resource: str, column: str) -> None:
    desc = json.loads(path.read_text("utf-8"))
    (res,) = [r for r in desc["resources"] if r["name"] == resource]
    res["schema"]["fields"] = [f for f in res["schema"]["fields"] if f["name"] != column]
    path.write_text(json.dumps(desc, indent=2), encoding="utf-8")


def _gone(d: Path) -> Path:
    shutil.rmtree(d)
    return d / "does-not-exist"


CASES = [
    Case("missing-file", lambda d: (d / P).unlink(), P, None, "file exists"),
    Case("missing-descriptor", lambda d: (d / DESC).unlink(), DESC, None, "file exists"),
    Case("missing-column", lambda d: drop_column(d / T, "orientation"),
         T, "orientation", "required column"),
    Case("missing-item-column", lambda d: drop_column(d / TR, "pms_03"),
         TR, "pms_03", "required column"),
    Case("renamed-column", lambda d: rename_column(d / T, "experience_years", "experience"),
         T, "experience_years", "required column"),
    Case("renamed-item-column", lambda d: rename_column(d / PR, "bsi_07", "bsi_7"),
         PR, "bsi_07", "required column"),
    Case("duplicate-column", lambda d: rename_column(d / TR, "pms_04", "pms_03"),
         TR, "pms_03", "unique column names"),
    Case("wrong-type", lambda d: set_cell(d / T, "age", "forty-six"), T, "age", "type",
         "forty-six"),
    Case("wrong-type-item", lambda d: set_cell(d / PR, "phi_01", "7.5"), PR, "phi_01", "type",
         "7.5"),
    Case("item-above-range", lambda d: set_cell(d / TR, "pms_01", "6"),
         TR, "pms_01", 'constraint "maximum"', '"6"'),
    Case("item-below-range", lambda d: set_cell(d / TR, "dass_01", "-1"),
         TR, "dass_01", 'constraint "minimum"', '"-1"'),
    Case("eus-zero", lambda d: set_cell(d / PR, "eusp_03", "0"),
         PR, "eusp_03", 'constraint "enum"', '"0"'),
    Case("unknown-arm", lambda d: set_cell(d / T, "arm", "placebo"),
         T, "arm", 'constraint "enum"', "placebo"),
    Case("unknown-wave", lambda d: set_cell(d / PR, "wave", "baseline"),
         PR, "wave", 'constraint "enum"', "baseline"),
    Case("duplicate-therapist", lambda d: duplicate_row(d / T, 0),
         T, "therapist_id", "unique primary key"),
    Case("duplicate-patient-wave", lambda d: duplicate_row(d / PR, 3),
         PR, "patient_id, wave", "unique primary key"),
    Case("duplicate-therapist-wave", lambda d: duplicate_row(d / TR, 5),
         TR, "therapist_id, wave", "unique primary key"),
    Case("unknown-therapist", lambda d: set_cell(d / P, "therapist_id", "T99"),
         P, "therapist_id", "foreign key", "T99"),
    Case("unknown-patient", lambda d: set_cell(d / PR, "patient_id", "P999"),
         PR, "patient_id", "foreign key", "P999"),
    Case("empty-file", lambda d: (d / T).write_bytes(b""), T, None,
         "readable CSV with content", "empty"),
    Case("header-only", lambda d: _header_only(d / P), P, None, "at least one data row",
         "no data rows"),
    Case("semicolon-delimiter", lambda d: _semicolons(d / P), P, None,
         "header matches the schema", "delimiter"),
    Case("latin1-bytes", lambda d: _latin1(d / P), P, None, "UTF-8 text"),
    Case("invalid-json", lambda d: _bad_json(d / DESC), DESC, None, "valid UTF-8 JSON"),
    Case("descriptor-drops-column",
         lambda d: _drop_declared(d / DESC, "patient_responses", "bsi_07"),
         DESC, "bsi_07", "declares every required column"),
    Case("missing-folder", _gone, "does-not-exist", None, "folder exists"),
]


@dataclass
class Outcome:
    path: Path
    before: dict[str, str]
    after: dict[str, str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _broken_copy(case: Case, dest: Path) -> Path:
    """Copy the committed package to ``dest``, break it; return the path to validate."""
    folder = copy_package(dest)
    moved = case.mutate(folder)
    return moved if isinstance(moved, Path) else folder


def _run(path: Path) -> Outcome:
    before = snapshot(path)
    done = run_cli("validate", str(path))
    return Outcome(path, before, snapshot(path), done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Validate every bad copy (and the committed package) through the CLI, in parallel."""
    root = tmp_path_factory.mktemp("bad")
    paths = {}
    for case in CASES:
        paths[case.id] = _broken_copy(case, root / case.id)
    paths["committed"] = DATA
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {key: pool.submit(_run, path) for key, path in paths.items()}
        return {key: fut.result() for key, fut in futures.items()}


def test_committed_package_is_valid(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["committed"]
    assert out.returncode == 0, out.output
    assert "valid data package" in out.stdout
    assert "invalid" not in out.output
    assert out.after == out.before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_package_is_rejected_clearly(case: Case, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case.id]
    assert out.returncode != 0, f"accepted as valid:\n{out.output}"
    assert "Traceback" not in out.output
    assert "invalid data package" in out.output
    assert case.file in out.output
    if case.column is not None:
        assert f"column '{case.column}'" in out.output
    assert f"rule '{case.rule}'" in out.output
    assert case.extra in out.output


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_writes_nothing(case: Case, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case.id]
    assert out.after == out.before


def test_problem_line_names_file_column_rule_and_rows() -> None:
    line = Problem("t.csv", "age", "type", "bad", rows=list(range(2, 10))).line()
    assert line == "t.csv, column 'age': rule 'type' broken (rows 2, 3, 4, 5, 6 and 3 more): bad"
    assert Problem("t.csv", "", "file exists", "gone").line() == (
        "t.csv: rule 'file exists' broken: gone")


# ----------------------------------------------------------------- in-process behaviour


def _case(case_id: str) -> Case:
    return next(c for c in CASES if c.id == case_id)


@pytest.mark.parametrize("case_id", ["unknown-arm", "latin1-bytes", "missing-item-column"])
def test_load_rejects_bad_package_before_reading(
    case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _broken_copy(_case(case_id), tmp_path / "pkg")
    reads: list[str] = []

    def spy(path: Path, name: str):
        reads.append(name)
        raise AssertionError(f"load read {name} before rejecting the package")

    monkeypatch.setattr(mcbi.trial.data, "_read", spy)
    before = snapshot(path)
    with pytest.raises(DataValidationError) as info:
        mcbi.trial.data.load(path)
    assert isinstance(info.value, ValueError)
    assert not reads
    assert info.value.report.valid is False
    assert snapshot(path) == before
    with pytest.raises(DataValidationError, match="invalid data package"):
        require_valid(path)
