"""Round trips: the shipped package kept as SPSS or Excel files, imported back, is the
shipped package (same content hash), valid, and never called synthetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _holder_files import xlsx_mapping
from mcbi.synth.record import is_synthetic
from mcbi.trial.content import content_hash
from mcbi.trial.data import DEFAULT_DATA
from mcbi.trial.importing.run import import_package
from mcbi.trial.validate import validate_package

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "mapa-ejemplo.yaml"
SHIPPED = content_hash(ROOT / DEFAULT_DATA)


def _check(out: Path) -> None:
    assert content_hash(out) == SHIPPED
    assert validate_package(out).valid
    desc = json.loads((out / "datapackage.json").read_text("utf-8"))
    assert desc["synthetic"] is False and "generator" not in desc
    assert "ynthetic" not in desc["description"]
    assert not is_synthetic(out)


def test_sav_round_trip_gives_the_shipped_content(holder_files, tmp_path: Path) -> None:
    summary = import_package(holder_files["sav"], EXAMPLE, tmp_path / "pkg")
    _check(summary.path)
    assert summary.rows == {"therapists": 63, "patients": 121, "therapist_responses": 172,
                            "patient_responses": 317}


def test_xlsx_round_trip_gives_the_shipped_content(holder_files, tmp_path: Path) -> None:
    out = import_package(holder_files["xlsx"], xlsx_mapping(tmp_path), tmp_path / "pkg").path
    _check(out)


def test_reimport_replaces_an_earlier_import_and_leaves_no_temporary_folder(
        holder_files, tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    import_package(holder_files["sav"], EXAMPLE, out)
    import_package(holder_files["sav"], EXAMPLE, out)
    _check(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_refused_import_writes_nothing(holder_files, tmp_path: Path) -> None:
    from mcbi.trial.importing import ImportRefused

    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text("utf-8").replace("{1: MCBI, 2: control}", "{1: MCBI}"),
                   encoding="utf-8")
    with pytest.raises(ImportRefused) as info:
        import_package(holder_files["sav"], bad, tmp_path / "pkg")
    message = str(info.value)
    assert "terapeutas.sav, column 'grupo': rule 'code map' broken (rows " in message
    assert 'values "2" are not in the code map' in message
    assert len(info.value.problems) == 1
    assert list(tmp_path.iterdir()) == [bad]


def test_out_folder_with_other_files_or_the_synthetic_package_is_refused(
        holder_files, tmp_path: Path) -> None:
    from mcbi.errors import UserError

    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UserError, match="holds other files than a data package"):
        import_package(holder_files["sav"], EXAMPLE, other)
    synthetic = tmp_path / "synthetic"
    synthetic.mkdir()
    (synthetic / "datapackage.json").write_bytes(
        (ROOT / DEFAULT_DATA / "datapackage.json").read_bytes())
    with pytest.raises(UserError, match="holds the synthetic package"):
        import_package(holder_files["sav"], EXAMPLE, synthetic)
    assert (other / "notes.txt").read_text("utf-8") == "mine"
