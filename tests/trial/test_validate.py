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
import re
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
    edit_descriptor,
    rename_column,
    run_cli,
    set_cell,
    snapshot,
)
from mcbi.trial.validate import DataValidationError, Problem, require_valid, validate_package

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


def _excel_semicolons(d: Path) -> None:
    """Every file as Excel saves CSV in a Spanish locale: semicolons, CRLF, a BOM."""
    for name in (T, P, TR, PR):
        text = (d / name).read_text("utf-8").replace(",", ";").replace("\n", "\r\n")
        (d / name).write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def _extra_column(path: Path) -> None:
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",site"] + [line + ",A" for line in lines[1:]])
                    + "\n", encoding="utf-8")


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


def _resource(desc: dict, name: str) -> dict:
    return next(r for r in desc["resources"] if r["name"] == name)


def _field(desc: dict, resource: str, column: str) -> dict:
    return next(f for f in _resource(desc, resource)["schema"]["fields"]
                if f["name"] == column)


def _loosened_item(d: Path) -> None:
    """The descriptor drops the 1-5 range of pms_01; the data hold a 9."""
    edit_descriptor(d, lambda desc: _field(desc, "therapist_responses",
                                           "pms_01").pop("constraints"))
    set_cell(d / TR, "pms_01", "9")


def _no_key_duplicate_patient(d: Path) -> None:
    edit_descriptor(d, lambda desc: _resource(desc, "patients")["schema"].pop("primaryKey"))
    duplicate_row(d / P, 4)


def _semicolon_dialect(d: Path) -> None:
    def change(desc: dict) -> None:
        for res in desc["resources"]:
            res["dialect"]["delimiter"] = ";"
    edit_descriptor(d, change)


def _renamed_paths(d: Path) -> None:
    for res_name, new in (("therapists", "t.csv"), ("patients", "p.csv")):
        (d / f"{res_name}.csv").rename(d / new)
        edit_descriptor(d, lambda desc, r=res_name, n=new: _resource(desc, r).update(path=n))


def _path(d: Path, value: str) -> None:
    edit_descriptor(d, lambda desc: _resource(desc, "patients").update(path=value))


def _fields_oops(d: Path) -> None:
    edit_descriptor(d, lambda desc: _resource(desc, "patients")["schema"].update(fields="oops"))


def _retype(d: Path) -> None:
    edit_descriptor(d, lambda desc: _field(desc, "therapists", "age").update(type="number"))


def _extra_resource(d: Path) -> None:
    edit_descriptor(d, lambda desc: desc["resources"].append({"name": "notes",
                                                              "path": "notes.csv"}))


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
    Case("excel-semicolons-every-file", _excel_semicolons, f"{T}, {P}, {TR}, {PR}", None,
         "header matches the schema", "re-save them as CSV with commas, or run `python -m "
         "mcbi import` on them"),
    Case("extra-column", lambda d: _extra_column(d / T), T, None, "known columns",
         "the package holds only the schema's columns: delete the column from "
         "the file, or run `python -m mcbi import` with a mapping that lists it under "
         "'drop'"),
    Case("latin1-bytes", lambda d: _latin1(d / P), P, None, "UTF-8 text"),
    Case("invalid-json", lambda d: _bad_json(d / DESC), DESC, None, "valid UTF-8 JSON"),
    Case("descriptor-drops-column",
         lambda d: _drop_declared(d / DESC, "patient_responses", "bsi_07"),
         DESC, "bsi_07", "declares every required column"),
    Case("missing-folder", _gone, "does-not-exist", None, "folder exists"),
]

# The supplied descriptor cannot loosen the canonical schema. Validated in-process (the
# command line's printing is covered above; a subprocess each would cost ~1.5 s).
IN_PROCESS = [
    Case("loosened-item-range", _loosened_item, DESC, "pms_01", "canonical constraints",
         '"maximum": 5'),
    Case("loosened-item-range-data", _loosened_item, TR, "pms_01", 'constraint "maximum"',
         '"9"'),
    Case("no-primary-key-duplicate-patient", _no_key_duplicate_patient, P, "patient_id",
         "unique primary key"),
    Case("no-primary-key-declared", _no_key_duplicate_patient, DESC, "patient_id",
         "canonical primary key"),
    Case("semicolon-dialect-declared", _semicolon_dialect, DESC, None, "canonical dialect",
         'delimiter ";"'),
    Case("renamed-paths", _renamed_paths, DESC, None, "canonical file name", "'p.csv'"),
    Case("url-path", lambda d: _path(d, "https://example.org/patients.csv"), DESC, None,
         "local relative path", "is a URL"),
    Case("ftp-path", lambda d: _path(d, "ftp://example.org/patients.csv"), DESC, None,
         "local relative path", "is a URL"),
    Case("absolute-path", lambda d: _path(d, str(d / P)), DESC, None, "local relative path",
         "absolute path"),
    Case("escaping-path", lambda d: _path(d, "../patients.csv"), DESC, None,
         "local relative path", "'..'"),
    Case("descriptor-is-list", lambda d: (d / DESC).write_text("[]", "utf-8"), DESC, None,
         "JSON object", "a list"),
    Case("resources-is-number", lambda d: (d / DESC).write_text('{"resources": 5}', "utf-8"),
         DESC, None, "well-formed descriptor", "'resources' is a number"),
    Case("no-resources", lambda d: (d / DESC).write_text('{"name": "x"}', "utf-8"),
         DESC, None, "declares every resource", "no 'resources' list"),
    Case("fields-oops", _fields_oops, DESC, None, "well-formed descriptor",
         "resource 'patients' (patients.csv): 'schema.fields' is a string"),
    Case("field-type-changed", _retype, DESC, "age", "canonical type", '"number"'),
    Case("extra-resource", _extra_resource, DESC, None, "known resources", "'notes'"),
    Case("whitespace-id", lambda d: set_cell(d / T, "therapist_id", "T 01"), T,
         "therapist_id", 'constraint "pattern"', '"T 01"'),
    Case("trailing-blank-line", lambda d: (d / P).write_bytes((d / P).read_bytes() + b"\n"),
         P, None, "no blank rows"),
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


def _run_in_process(path: Path) -> Outcome:
    before = snapshot(path)
    report = validate_package(path)
    return Outcome(path, before, snapshot(path), 2 * int(not report.valid), report.message(),
                   "")


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
        done = {key: fut.result() for key, fut in futures.items()}
    for case in IN_PROCESS:
        done[case.id] = _run_in_process(_broken_copy(case, root / case.id))
    return done


def test_committed_package_is_valid(outcomes: dict[str, Outcome]) -> None:
    out = outcomes["committed"]
    assert out.returncode == 0, out.output
    assert "valid data package" in out.stdout
    assert "invalid" not in out.output
    assert out.after == out.before


@pytest.mark.parametrize("case", CASES + IN_PROCESS, ids=[c.id for c in CASES + IN_PROCESS])
def test_bad_package_is_rejected_clearly(case: Case, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case.id]
    assert out.returncode == 2, f"not refused with exit code 2:\n{out.output}"
    assert "Traceback" not in out.output
    assert "invalid data package" in out.output
    assert case.file in out.output
    if case.column is not None:
        assert f"column '{case.column}'" in out.output
    assert f"rule '{case.rule}'" in out.output
    assert case.extra in out.output


@pytest.mark.parametrize("case", CASES + IN_PROCESS, ids=[c.id for c in CASES + IN_PROCESS])
def test_validate_writes_nothing(case: Case, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case.id]
    assert out.after == out.before


@pytest.mark.parametrize("case_id", ["semicolon-delimiter", "semicolon-dialect-declared",
                                     "excel-semicolons-every-file", "extra-column",
                                     "descriptor-is-list", "resources-is-number",
                                     "fields-oops", "url-path", "extra-resource",
                                     "field-type-changed", "trailing-blank-line"])
def test_one_root_cause_one_line(case_id: str, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case_id]
    lines = [line for line in out.output.splitlines() if line.startswith("- ")]
    assert len(lines) == 1, out.output


def test_problem_line_names_file_column_rule_and_rows() -> None:
    line = Problem("t.csv", "age", "type", "bad", rows=list(range(2, 10))).line()
    assert line == "t.csv, column 'age': rule 'type' broken (rows 2, 3, 4, 5, 6 and 3 more): bad"
    assert Problem("t.csv", "", "file exists", "gone").line() == (
        "t.csv: rule 'file exists' broken: gone")


# ----------------------------------------------------------------- in-process behaviour


def _case(case_id: str) -> Case:
    return next(c for c in CASES + IN_PROCESS if c.id == case_id)


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


# ------------------------------------------------------------ canonical schema, no network


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every attempt to open a connection or resolve a name fail, and record it."""
    import socket

    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise OSError("network access during validation")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.parametrize("url", ["https://example.org/patients.csv",
                                 "http://127.0.0.1:9/patients.csv",
                                 "s3://bucket/patients.csv", "file:///etc/passwd"])
def test_url_path_is_refused_without_network(url: str, tmp_path: Path,
                                             no_network: list[str]) -> None:
    folder = copy_package(tmp_path / "pkg")
    _path(folder, url)
    report = validate_package(folder)
    assert not report.valid
    assert [p.rule for p in report.problems] == ["local relative path"]
    assert url in report.message()
    assert no_network == []


def test_shipped_package_validates_without_network(no_network: list[str]) -> None:
    assert validate_package(DATA).valid
    assert no_network == []


def _rename_ids(folder: Path) -> None:
    """Give every therapist and patient an identifier of another study's style."""
    for name in (T, P, TR, PR):
        text = (folder / name).read_text("utf-8")
        text = re.sub(r"\bT(\d\d)\b", r"TH-0\1", text)
        text = re.sub(r"\bP(\d\d\d)\b", lambda m: f"p_{int(m.group(1))}", text)
        (folder / name).write_text(text, "utf-8")


def test_real_style_ids_are_accepted_and_loaded(tmp_path: Path) -> None:
    folder = copy_package(tmp_path / "pkg")
    _rename_ids(folder)
    assert "TH-001" in (folder / T).read_text("utf-8")
    assert "p_17," in (folder / PR).read_text("utf-8")
    report = validate_package(folder)
    assert report.valid, report.message()
    trial = mcbi.trial.data.load(folder)
    assert set(trial.therapist_info["therapist_id"]) == {f"TH-0{i:02d}" for i in range(1, 64)}
    assert "p_17" in set(trial.patients["patient_id"])
    shipped = mcbi.trial.data.load(DATA)
    def values(frame):  # rows are sorted by id, and the ids sort differently
        return frame["bond"].sort_values().reset_index(drop=True)

    assert values(trial.patients).equals(values(shipped.patients))


def test_descriptor_may_add_metadata_and_omit_reading_defaults(tmp_path: Path) -> None:
    folder = copy_package(tmp_path / "pkg")

    def change(desc: dict) -> None:
        desc.update(name="trial-real", title="The trial's data", synthetic=False,
                    contributors=[{"title": "Data holder"}], custom={"anything": [1, 2]})
        desc.pop("generator")
        for res in desc["resources"]:
            for key in ("dialect", "format", "mediatype", "encoding", "profile"):
                res.pop(key)
            res["schema"]["fields"][0]["description"] = "the study's own code"
            res["schema"]["fields"].reverse()  # order does not matter
    edit_descriptor(folder, change)
    report = validate_package(folder)
    assert report.valid, report.message()

