"""mcbi.trial.descriptor: reading a supplied datapackage.json and comparing it to the
canonical one (malformed input gives a clear conflict, never an exception)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _datafixtures import DATA
from mcbi.errors import DataError
from mcbi.trial.descriptor import (
    WELL_FORMED,
    Conflict,
    DescriptorError,
    check_descriptor,
    read_descriptor,
)
from mcbi.trial.schema import package_descriptor


def _canonical() -> dict:
    return package_descriptor()


def _res(desc: dict, name: str) -> dict:
    return next(r for r in desc["resources"] if r["name"] == name)


def _field(desc: dict, resource: str, column: str) -> dict:
    return next(f for f in _res(desc, resource)["schema"]["fields"] if f["name"] == column)


def _rules(conflicts: list[Conflict]) -> list[str]:
    return [c.rule for c in conflicts]


def test_canonical_and_shipped_descriptors_agree() -> None:
    assert check_descriptor(_canonical()) == []
    assert check_descriptor(read_descriptor(DATA)) == []


def test_metadata_may_be_added_and_reading_defaults_left_out() -> None:
    desc = _canonical()
    desc.update(title="Real data", contributors=[{"title": "x"}], homepage="https://x.org",
                keywords=["a"], anything={"nested": [1]})
    for res in desc["resources"]:
        res.update(title="t", sources=[{"title": "s"}])
        del res["dialect"], res["format"], res["encoding"]
        for field in res["schema"]["fields"]:
            field["description"] = "the holders' words"
            field["example"] = "x"
        res["schema"]["fields"][0]["constraints"]["required"] = True
    _field(desc, "therapist_responses", "pms_01")["constraints"]["required"] = False
    _field(desc, "patient_responses", "eusp_01")["constraints"]["enum"].reverse()
    _res(desc, "patients")["dialect"] = {"lineTerminator": "\r\n", "csv": {"delimiter": ","}}
    _res(desc, "therapists")["encoding"] = "UTF8"
    assert check_descriptor(desc) == []


@pytest.mark.parametrize(("change", "rule", "column", "blocking"), [
    (lambda d: _field(d, "therapist_responses", "pms_01").pop("constraints"),
     "canonical constraints", "pms_01", False),
    (lambda d: _field(d, "therapists", "therapist_id")["constraints"].update(
        pattern="TH-[0-9]{3}"), "canonical constraints", "therapist_id", False),
    (lambda d: _field(d, "therapists", "age").update(type="number"), "canonical type", "age",
     False),
    (lambda d: _field(d, "therapists", "age").pop("type"), "canonical type", "age", False),
    (lambda d: _field(d, "therapists", "age").update(groupChar=","), "canonical type", "age",
     False),
    (lambda d: _res(d, "patients")["schema"].pop("primaryKey"), "canonical primary key",
     "patient_id", False),
    (lambda d: _res(d, "patients")["schema"].pop("foreignKeys"), "canonical foreign keys",
     "therapist_id", False),
    (lambda d: _res(d, "patients")["schema"].update(missingValues=["", "NA"]),
     "canonical missing values", "", False),
    (lambda d: _res(d, "patients")["schema"].update(fieldsMatch="subset"),
     "canonical fields match", "", False),
    (lambda d: _res(d, "patients")["schema"]["fields"].pop(), "declares every required column",
     "problem", False),
    (lambda d: _res(d, "patients")["schema"]["fields"].append({"name": "extra"}),
     "known columns", "extra", False),
    (lambda d: _res(d, "patients")["schema"]["fields"].append({"name": "age"}),
     "unique column names", "age", False),
    (lambda d: _res(d, "patients").pop("schema"), "declares every required column", "", False),
    (lambda d: _res(d, "patients").update(schema="patients.schema.json"), WELL_FORMED, "",
     False),
    (lambda d: _res(d, "patients").update(path="pat.csv"), "canonical file name", "", True),
    (lambda d: _res(d, "patients").pop("path"), "canonical file name", "", True),
    (lambda d: _res(d, "patients").update(path=["a.csv", "b.csv"]), "local relative path", "",
     True),
    (lambda d: _res(d, "patients").update(encoding="latin-1"), "canonical encoding", "", True),
    (lambda d: _res(d, "patients").update(format="tsv"), "canonical format", "", True),
    (lambda d: _res(d, "patients").update(compression="gz"), "plain local CSV", "", True),
    (lambda d: _res(d, "patients").update(data=[["a"]]), "plain local CSV", "", True),
    (lambda d: _res(d, "patients").update(dialect={"csv": {"delimiter": ";"}}),
     "canonical dialect", "", True),
    (lambda d: _res(d, "patients").update(dialect={"skipInitialSpace": True}),
     "canonical dialect", "", True),
    (lambda d: _res(d, "patients").update(dialect={"commentChar": "#"}), "canonical dialect",
     "", True),
    (lambda d: _res(d, "patients").update(dialect="dialect.json"), WELL_FORMED, "", True),
    (lambda d: d["resources"].pop(), "declares every resource", "", True),
    (lambda d: d["resources"].append(copy.deepcopy(d["resources"][0])),
     "unique resource names", "", True),
    (lambda d: d["resources"].append({"name": "notes", "path": "notes.csv"}),
     "known resources", "", True),
    (lambda d: d["resources"].append(7), WELL_FORMED, "", True),
    (lambda d: d["resources"].append({"path": "x.csv"}), WELL_FORMED, "", True),
    (lambda d: d.update(name=["x"]), WELL_FORMED, "", False),
])
def test_each_contradiction_is_one_conflict(change, rule: str, column: str,
                                            blocking: bool) -> None:
    desc = _canonical()
    change(desc)
    conflicts = check_descriptor(desc)
    assert _rules(conflicts) == [rule], conflicts
    assert conflicts[0].column == column
    assert conflicts[0].blocking is blocking
    assert conflicts[0].detail


@pytest.mark.parametrize(("path", "why"), [
    ("https://example.org/patients.csv", "is a URL"),
    ("HTTP://EXAMPLE.ORG/p.csv", "is a URL"),
    ("ftp://host/patients.csv", "is a URL"),
    ("file:///srv/trial/patients.csv", "is a URL"),
    ("s3:bucket/patients.csv", "is a URL"),
    ("/srv/trial/patients.csv", "is an absolute path"),
    ("C:\\data\\patients.csv", "is an absolute path"),
    ("\\\\server\\share\\patients.csv", "is an absolute path"),
    ("~/patients.csv", "is an absolute path"),
    ("../patients.csv", "leaves the package folder"),
    ("sub/../../patients.csv", "leaves the package folder"),
    ("..\\patients.csv", "leaves the package folder"),
])
def test_unsafe_paths_are_refused(path: str, why: str) -> None:
    desc = _canonical()
    _res(desc, "patients")["path"] = path
    (conflict,) = check_descriptor(desc)
    assert conflict.rule == "local relative path" and conflict.blocking
    assert why in conflict.detail and "patients.csv" in conflict.detail


def test_the_same_contradiction_everywhere_is_one_line_per_resource() -> None:
    desc = _canonical()
    for res in desc["resources"]:
        res["dialect"]["delimiter"] = ";"
        for field in res["schema"]["fields"]:
            field.pop("constraints", None)
    conflicts = check_descriptor(desc)
    dialect = [c for c in conflicts if c.rule == "canonical dialect"]
    assert len(dialect) == 1 and dialect[0].detail.count("resource '") == 4
    constraints = [c for c in conflicts if c.rule == "canonical constraints"]
    assert len(constraints) == 4  # one per resource, the columns listed briefly
    longest = max(constraints, key=lambda c: len(c.column))
    assert longest.column.endswith("more") and len(longest.column) < 120


@pytest.mark.parametrize(("text", "rule"), [
    (None, "file exists"),
    (b"\xff\xfe{}", "valid UTF-8 JSON"),
    (b'{"resources": [', "valid UTF-8 JSON"),
    (b"", "valid UTF-8 JSON"),
    (b"[]", "JSON object"),
    (b'"a string"', "JSON object"),
    (b"null", "JSON object"),
    (b"[" * 100000 + b"]" * 100000, "valid UTF-8 JSON"),
])
def test_read_descriptor_errors(tmp_path: Path, text: bytes | None, rule: str) -> None:
    if text is not None:
        (tmp_path / "datapackage.json").write_bytes(text)
    with pytest.raises(DescriptorError) as info:
        read_descriptor(tmp_path)
    assert isinstance(info.value, DataError)
    assert info.value.rule == rule
    assert str(info.value).startswith(f"datapackage.json: rule '{rule}' broken: ")


def _nodes(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """Every place in a JSON value (as a key path), the value itself first."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nodes(item, (*path, i))


def _replaced(desc: dict, path: tuple, value: Any) -> Any:
    if not path:
        return value
    out = copy.deepcopy(desc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def test_any_malformed_part_gives_conflicts_not_exceptions() -> None:
    """Each node of a (trimmed) descriptor replaced by a value of every JSON type."""
    desc = _canonical()
    for res in desc["resources"]:
        res["schema"]["fields"] = res["schema"]["fields"][:3]
    replacements = [5, "oops", None, [], {}, True, [5], {"x": 1}]
    checked = 0
    for path in _nodes(desc):
        for value in replacements:
            conflicts = check_descriptor(_replaced(desc, path, value))
            assert all(isinstance(c, Conflict) and c.rule and c.detail for c in conflicts)
            json.dumps([c.detail for c in conflicts])
            checked += 1
    assert checked > 1000


def test_unreadable_descriptor_is_a_clear_error(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "datapackage.json").write_text("{}", "utf-8")

    def refuse(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(DescriptorError, match="rule 'readable file' broken: Permission denied"):
        read_descriptor(tmp_path)
