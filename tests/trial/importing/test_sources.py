"""Sources: read as a data holder saved them, or refused with one clear message each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from _holder_files import xlsx_mapping
from mcbi.trial.importing import ImportRefused
from mcbi.trial.importing.run import import_package
from mcbi.trial.importing.sources import read_csv, read_xlsx

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "mapa-ejemplo.yaml"


def _refused(sources: list[Path], tmp_path: Path, mapping: Path = EXAMPLE) -> ImportRefused:
    with pytest.raises(ImportRefused) as info:
        import_package(sources, mapping, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()
    return info.value


def _copies(holder_files, tmp_path: Path) -> list[Path]:
    return [Path(shutil.copy(p, tmp_path / p.name)) for p in holder_files["sav"]]


def test_missing_source_file(holder_files, tmp_path: Path) -> None:
    err = _refused([holder_files["sav"][0], tmp_path / "pacientes.sav"], tmp_path)
    assert len(err.problems) == 1
    assert err.problems[0].line().startswith(
        "pacientes.sav: rule 'file exists' broken: there is no file")


def test_unreadable_sav(holder_files, tmp_path: Path) -> None:
    therapists, patients = _copies(holder_files, tmp_path)
    patients.write_bytes(b"not an SPSS file at all")
    err = _refused([therapists, patients], tmp_path)
    assert len(err.problems) == 1
    assert "pacientes.sav: rule 'readable SPSS file' broken" in err.problems[0].line()


def test_unreadable_workbook(tmp_path: Path) -> None:
    path = tmp_path / "datos.xlsx"
    path.write_bytes(b"PK\x03\x04 broken zip")
    with pytest.raises(Exception, match="rule 'readable Excel workbook' broken"):
        read_xlsx(path, "Terapeutas")


def test_wrong_sheet(holder_files, tmp_path: Path) -> None:
    mapping = xlsx_mapping(tmp_path)
    mapping.write_text(mapping.read_text("utf-8").replace("sheet: Pacientes",
                                                          "sheet: Pacientes2024"), "utf-8")
    err = _refused(holder_files["xlsx"], tmp_path, mapping)
    assert len(err.problems) == 1
    assert err.problems[0].line() == (
        "datos.xlsx [Pacientes2024]: rule 'sheet exists' broken: the workbook has no sheet "
        "'Pacientes2024'; its sheets are Terapeutas, Pacientes")


def test_unknown_file_type(holder_files, tmp_path: Path) -> None:
    therapists, patients = _copies(holder_files, tmp_path)
    old = patients.rename(tmp_path / "pacientes.por")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(EXAMPLE.read_text("utf-8").replace("pacientes.sav", "pacientes.por"),
                       "utf-8")
    err = _refused([therapists, old], tmp_path, mapping)
    assert len(err.problems) == 1
    assert "pacientes.por: rule 'known file type' broken" in err.problems[0].line()


def _edit_sav(path: Path, edit) -> None:
    import pyreadstat

    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    frame = edit(frame)
    pyreadstat.write_sav(frame, str(path), variable_value_labels=meta.variable_value_labels,
                         missing_ranges={c: [-9, 999] for c in frame if c.endswith(
                             ("_pre", "_post", "_seg"))})


def _set(frame: pd.DataFrame, rows: list[int], col: str, value) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[rows, col] = value
    return frame


@pytest.mark.parametrize("edit,expected", [
    (lambda f: _set(f, [3, 9], "pms2_post", 7.0),
     "terapeutas.sav, column 'pms2_post': rule 'range' broken (rows 4, 10): values \"7\" "
     "are outside 1 to 5"),
    (lambda f: _set(f, [0], "eut3_pre", 0.0),
     "terapeutas.sav, column 'eut3_pre': rule 'allowed values' broken (rows 1): values "
     "\"0\" are not allowed"),
    (lambda f: _set(f, [5], "edad", 41.5),
     "terapeutas.sav, column 'edad': rule 'whole number' broken (rows 6)"),
    (lambda f: _set(f, [2], "terapeuta", "T01"),
     "terapeutas.sav, column 'terapeuta': rule 'unique identifiers' broken (rows 1, 3): "
     "T01 occur more than once with different values; there is one row per person"),
    (lambda f: f.assign(sede="Valencia"),
     "terapeutas.sav: rule 'every column mapped or dropped' broken: columns sede are "
     "neither mapped nor dropped"),
])
def test_bad_values_name_file_column_rows_and_rule(edit, expected, holder_files,
                                                   tmp_path: Path) -> None:
    therapists, patients = _copies(holder_files, tmp_path)
    _edit_sav(therapists, edit)
    err = _refused([therapists, patients], tmp_path)
    lines = [p.line() for p in err.problems]
    assert len(lines) == 1 and lines[0].startswith(expected), lines


def test_dropped_column_is_accepted(holder_files, tmp_path: Path) -> None:
    therapists, patients = _copies(holder_files, tmp_path)
    _edit_sav(therapists, lambda f: f.assign(sede="Valencia", total_ffmq_pre=1.0))
    mapping = tmp_path / "map.yaml"
    mapping.write_text(EXAMPLE.read_text("utf-8").replace(
        "      therapist_id: terapeuta\n      arm:",
        "      therapist_id: terapeuta\n      arm:", 1).replace(
        "  patients:\n", "    drop: [sede, \"total_*\"]\n  patients:\n", 1), "utf-8")
    assert import_package([therapists, patients], mapping, tmp_path / "pkg").rows[
        "therapists"] == 63


def test_unknown_therapist_of_a_patient(holder_files, tmp_path: Path) -> None:
    therapists, patients = _copies(holder_files, tmp_path)
    _edit_sav(patients, lambda f: _set(f, [4], "terapeuta", "T99"))
    err = _refused([therapists, patients], tmp_path)
    (line,) = [p.line() for p in err.problems]
    assert line == ("pacientes.sav, column 'terapeuta': rule 'known identifiers' broken "
                    "(rows 5): therapist ids T99 are not in the therapists table "
                    "(terapeutas.sav)")


def test_excel_csv_semicolons_decimal_comma_and_windows_encoding(tmp_path: Path) -> None:
    path = tmp_path / "datos.csv"
    path.write_bytes("código;edad;peso\r\nT01;41;70,5\r\nT02;;68\r\n".encode("cp1252"))
    table = read_csv(path)
    assert table.decimal == "," and list(table.frame.columns) == ["código", "edad", "peso"]
    assert table.frame.iloc[1].tolist() == ["T02", None, "68"]
    assert table.row_numbers() == [2, 3]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfid,edad\nT01,41\n")
    assert list(read_csv(bom).frame.columns) == ["id", "edad"]


def test_item_codes_and_an_instrument_not_collected(holder_files, tmp_path: Path) -> None:
    """EUS items saved as 1-6 are recoded to -3..3 by the mapping; SCS-SF not collected."""
    from mcbi.trial.content import content_hash
    from mcbi.trial.data import DEFAULT_DATA

    therapists, patients = _copies(holder_files, tmp_path)

    def shift(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for c in [c for c in frame if c.startswith("eut")]:
            v = frame[c]
            frame[c] = v.where(~v.between(-3, 3), v.where(v > 0, v + 1) + 3)
        return frame.drop(columns=[c for c in frame if c.startswith("scs")])

    _edit_sav(therapists, shift)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(EXAMPLE.read_text("utf-8").replace(
        '      eust: "eut{item}_{wave}"',
        '      eust:\n        pattern: "eut{item}_{wave}"\n'
        "        codes: {1: -3, 2: -2, 3: -1, 4: 1, 5: 2, 6: 3}").replace(
        '      scs: "scs{item}_{wave}"\n      dass', "      scs: ~\n      dass"), "utf-8")
    out = import_package([therapists, patients], mapping, tmp_path / "pkg").path
    shipped = pd.read_csv(ROOT / DEFAULT_DATA / "therapist_responses.csv")
    got = pd.read_csv(out / "therapist_responses.csv")
    assert got["eust_05"].equals(shipped["eust_05"])
    assert got["scs_01"].isna().all() and got["pms_01"].equals(shipped["pms_01"])
    assert content_hash(out) != content_hash(ROOT / DEFAULT_DATA)


def test_pattern_that_matches_no_column(holder_files, tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(EXAMPLE.read_text("utf-8").replace('"pms{item}_{wave}"',
                                                          '"PMS{item}_{wave}"'), "utf-8")
    err = _refused(holder_files["sav"], tmp_path, mapping)
    (line,) = [p.line() for p in err.problems]
    assert line == ("terapeutas.sav, key 'tables.therapist_responses.items.pms': rule "
                    "'column exists' broken: no column PMS1_pre, PMS1_post, PMS1_seg, "
                    "PMS2_pre, PMS2_post and 25 more in the file (did you mean pms1_pre?); "
                    "correct the mapping")


def test_therapists_taken_from_the_patients_file(holder_files, tmp_path: Path) -> None:
    """A patient-level file repeating each therapist's columns gives one row per therapist;
    rows of one therapist that disagree are refused."""
    import pyreadstat

    from mcbi.trial.content import content_hash
    from mcbi.trial.data import DEFAULT_DATA

    therapists, patients = _copies(holder_files, tmp_path)
    t_frame, t_meta = pyreadstat.read_sav(str(therapists))
    p_frame, p_meta = pyreadstat.read_sav(str(patients), user_missing=True)
    person = t_frame[["terapeuta", "grupo", "edad", "sexo", "experiencia", "orientacion"]]
    merged = p_frame.merge(person.add_suffix("_t").rename(columns={"terapeuta_t":
                                                                   "terapeuta"}),
                           on="terapeuta", how="left")
    pyreadstat.write_sav(merged, str(patients), variable_value_labels=p_meta.variable_value_labels,
                         missing_ranges={c: [-9, 999] for c in merged if c.endswith(
                             ("_pre", "_post", "_seg"))})
    text = EXAMPLE.read_text("utf-8")
    block = text[text.index("  therapists:\n"):text.index("  patients:\n")]
    new = block.replace("source: terapeutas.sav", "source: pacientes.sav")
    for col in ("grupo", "edad", "sexo", "experiencia", "orientacion"):
        new = new.replace(f" {col}\n", f" {col}_t\n")
    text = text.replace(block, new).replace(
        "  therapist_responses:\n    source: terapeutas.sav\n",
        "  therapist_responses:\n    source: terapeutas.sav\n"
        "    drop: [grupo, edad, sexo, experiencia, orientacion]\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, "utf-8")
    out = import_package([therapists, patients], mapping, tmp_path / "pkg").path
    assert content_hash(out) == content_hash(ROOT / DEFAULT_DATA)
    merged.loc[1, "edad_t"] = 77.0  # the second patient's therapist is T01, like the first's
    pyreadstat.write_sav(merged, str(patients), variable_value_labels=p_meta.variable_value_labels,
                         missing_ranges={c: [-9, 999] for c in merged if c.endswith(
                             ("_pre", "_post", "_seg"))})
    err = _refused([therapists, patients], tmp_path / "again", mapping)
    (line,) = [p.line() for p in err.problems]
    assert line.startswith("pacientes.sav, column 'terapeuta': rule 'unique identifiers' "
                           "broken (rows 1, 2): T01 occur more than once with different values")
