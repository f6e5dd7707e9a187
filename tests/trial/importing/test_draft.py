"""Draft mappings: what the draft matches imports as is; only the TODO marks need filling."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mcbi.errors import UserError
from mcbi.trial.content import content_hash
from mcbi.trial.data import DEFAULT_DATA
from mcbi.trial.importing import ImportRefused
from mcbi.trial.importing.draft import draft_mapping, write_draft
from mcbi.trial.importing.run import import_package

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = content_hash(ROOT / DEFAULT_DATA)


def _todo_lines(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if re.search(r":\s*TODO\b", line.split("#", 1)[0])]


@pytest.mark.parametrize("kind", ["sav", "xlsx"])
def test_draft_of_the_spanish_files_imports_as_it_is(kind: str, holder_files,
                                                     tmp_path: Path) -> None:
    path, todo = write_draft(holder_files[kind], tmp_path / "mapa.yaml")
    text = path.read_text("utf-8")
    assert todo == 0 and not _todo_lines(text), text
    assert yaml.safe_load(text)["waves"] == {"pre": "pre", "post": "post", "followup": "seg"}
    out = import_package(holder_files[kind], path, tmp_path / "pkg").path
    assert content_hash(out) == SHIPPED


def test_draft_of_other_files_needs_only_the_marked_fields(holder_files,
                                                           tmp_path: Path) -> None:
    text, todo = draft_mapping(holder_files["other"])
    marked = _todo_lines(text)
    assert todo == len(marked) == 4, marked
    data = yaml.safe_load(text)
    assert data["missing"] == [-99]  # found in the items, not declared in SPSS
    assert data["tables"]["therapist_responses"]["layout"] == "long"
    assert data["tables"]["therapist_responses"]["fields"]["wave"]["codes"] == {
        1: "pre", 2: "post", 3: "followup"}
    assert data["tables"]["therapists"]["fields"]["orientation"]["column"] == "orient"
    path = tmp_path / "map.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportRefused) as info:  # the marks are refused until filled in
        import_package(holder_files["other"], path, tmp_path / "pkg")
    assert len(info.value.problems) == 4
    assert all(p.rule == "filled in" for p in info.value.problems)
    fills = {"0: TODO": "0: control", "1: TODO": "1: MCBI",
             "experience_years: TODO": 'experience_years: "yrs_practice"',
             '"O": TODO': '"O": other'}
    for mark, value in fills.items():
        assert mark in text
        text = text.replace(mark, value)
    path.write_text(text, encoding="utf-8")
    out = import_package(holder_files["other"], path, tmp_path / "pkg").path
    assert content_hash(out) == SHIPPED


def test_draft_marks_an_instrument_it_cannot_find(holder_files, tmp_path: Path) -> None:
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(holder_files["sav"][0]))
    renamed = frame.rename(columns=lambda c: c.replace("pms", "hab") if c.startswith(
        "pms") else c)
    path = tmp_path / "terapeutas.sav"
    pyreadstat.write_sav(renamed, str(path), variable_value_labels=meta.variable_value_labels)
    text, todo = draft_mapping([path, holder_files["sav"][1]])
    (line,) = [t for t in _todo_lines(text) if t.strip().startswith("pms")]
    comment = text.splitlines()[text.splitlines().index(line) - 1]
    assert "Psychotherapeutic mindfulness skills, 10 items (no item columns found)" in comment
    assert todo == 1


def test_draft_is_never_written_over_a_file(holder_files, tmp_path: Path) -> None:
    path = tmp_path / "mapa.yaml"
    path.write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="exists"):
        write_draft(holder_files["sav"], path)
    assert path.read_text("utf-8") == "mine"
