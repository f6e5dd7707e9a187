"""The shipped package as a data holder would keep it: wide SPSS files and an Excel workbook.

Used by the importer's tests (tests/trial/importing/). Spanish variable names, waves as
column suffixes, value labels (1 = MCBI, 2 = control), user-missing codes -9 and 999.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from mcbi.trial import design
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS

DATA = Path(__file__).resolve().parents[1] / "data" / "trial"
EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "mapa-ejemplo.yaml"
"""The documented example mapping (for the .sav files)."""
SUFFIX = {"pre": "pre", "post": "post", "followup": "seg"}
STEM = {"pms": "pms", "eust": "eut", "teca": "teca", "ffmq": "ffmq", "scs": "scs",
        "dass": "dass", "eusp": "eup", "watoci": "watoci", "bsi": "bsi", "phi": "phi"}
ARM_CODES = {"MCBI": 1, "control": 2}
GENDER_CODES = {"female": 1, "male": 2, "other": 3}
GENDER_LABELS = {1: "Mujer", 2: "Hombre", 3: "Otro"}
ORIENTATION_CODES = {o: i for i, o in enumerate(design.ORIENTATIONS, start=1)}
ORIENTATION_LABELS = {1: "Cognitivo-conductual", 2: "Integrador", 3: "Humanista",
                      4: "Psicodinámico", 5: "Sistémico"}
PROBLEM_CODES = {p: i for i, p in enumerate(design.PROBLEMS, start=1)}
PROBLEM_LABELS = {1: "Ansiedad", 2: "Depresión", 3: "Relacional", 4: "Adaptativo",
                  5: "Otro"}


def shipped() -> dict[str, pd.DataFrame]:
    """The shipped package's four tables."""
    return {name: pd.read_csv(DATA / f"{name}.csv", dtype={"therapist_id": str,
                                                          "patient_id": str, "wave": str})
            for name in ("therapists", "patients", "therapist_responses",
                         "patient_responses")}


def _wide_items(responses: pd.DataFrame, id_col: str, ids: pd.Series, instruments,
                stem: dict[str, str]) -> pd.DataFrame:
    """Item columns ``<stem><n>_<suffix>``; a missing answer or wave is -9 or 999."""
    out = {}
    for ins in instruments:
        for i, col in enumerate(ins.item_columns, start=1):
            for wave in design.WAVES:
                part = responses[responses["wave"] == wave].set_index(id_col)[col]
                values = ids.map(part).astype("float64")
                code = -9.0 if wave == "pre" else 999.0
                out[f"{stem[ins.prefix]}{i}_{SUFFIX[wave]}"] = values.fillna(code)
    return pd.DataFrame(out)


def wide_tables() -> dict[str, pd.DataFrame]:
    """One row per therapist and one per patient, coded as in SPSS."""
    t = shipped()
    th, pa = t["therapists"], t["patients"]
    therapists = pd.DataFrame({
        "terapeuta": th["therapist_id"], "grupo": th["arm"].map(ARM_CODES).astype(float),
        "edad": th["age"].astype(float), "sexo": th["gender"].map(GENDER_CODES).astype(float),
        "experiencia": th["experience_years"].astype(float),
        "orientacion": th["orientation"].map(ORIENTATION_CODES).astype(float)})
    therapists = pd.concat([therapists, _wide_items(
        t["therapist_responses"], "therapist_id", th["therapist_id"],
        THERAPIST_INSTRUMENTS, STEM)], axis=1)
    patients = pd.DataFrame({
        "paciente": pa["patient_id"], "terapeuta": pa["therapist_id"],
        "edad": pa["age"].astype(float), "sexo": pa["gender"].map(GENDER_CODES).astype(float),
        "problema": pa["problem"].map(PROBLEM_CODES).astype(float)})
    patients = pd.concat([patients, _wide_items(
        t["patient_responses"], "patient_id", pa["patient_id"], PATIENT_INSTRUMENTS, STEM)],
        axis=1)
    return {"terapeutas": therapists, "pacientes": patients}


def _item_cols(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.endswith(tuple(f"_{s}" for s in SUFFIX.values()))]


def write_sav(folder: Path) -> list[Path]:
    """Write ``terapeutas.sav`` and ``pacientes.sav``; return their paths."""
    import pyreadstat

    paths = []
    for name, frame in wide_tables().items():
        labels = {"grupo": {1.0: "MCBI", 2.0: "Control (diario de empatía)"},
                  "sexo": {float(k): v for k, v in GENDER_LABELS.items()},
                  "orientacion": {float(k): v for k, v in ORIENTATION_LABELS.items()},
                  "problema": {float(k): v for k, v in PROBLEM_LABELS.items()}}
        labels = {k: v for k, v in labels.items() if k in frame}
        missing = {c: [-9, 999] for c in _item_cols(frame)}
        column_labels = {"terapeuta": "Código del terapeuta", "edad": "Edad (años)",
                         "paciente": "Código del paciente",
                         "experiencia": "Años de experiencia clínica"}
        path = folder / f"{name}.sav"
        pyreadstat.write_sav(frame, str(path), variable_value_labels=labels,
                             missing_ranges=missing,
                             column_labels={c: column_labels.get(c) for c in frame})
        paths.append(path)
    return paths


def write_xlsx(folder: Path) -> Path:
    """Write ``datos.xlsx`` with sheets Terapeutas and Pacientes (labels as text)."""
    path = folder / "datos.xlsx"
    tables = wide_tables()
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for name, frame in tables.items():
            frame = frame.copy()
            if "grupo" in frame:
                frame["grupo"] = frame["grupo"].map({1.0: "MCBI", 2.0: "Control"})
                frame["orientacion"] = frame["orientacion"].map(ORIENTATION_LABELS)
            if "problema" in frame:
                frame["problema"] = frame["problema"].map(PROBLEM_LABELS)
            frame["sexo"] = frame["sexo"].map(GENDER_LABELS)
            for c in _item_cols(frame):
                frame[c] = frame[c].astype("Int64")
            frame.to_excel(book, sheet_name=name.capitalize(), index=False)
    return path




def write_other(folder: Path) -> list[Path]:
    """The same data kept otherwise: English names, arm 0/1 without labels, -99 not
    declared as missing, therapists' responses long (time 1/2/3), patients in a wide
    semicolon CSV with a BOM and CRLF line ends (wave suffixes _t1, _t2, _t3)."""
    import pyreadstat

    t = shipped()
    th = t["therapists"]
    orient = {o: i for i, o in enumerate(design.ORIENTATIONS, start=10)}
    people = pd.DataFrame({
        "therapist": th["therapist_id"], "tx": th["arm"].map({"control": 0, "MCBI": 1}),
        "age": th["age"], "sex": th["gender"].map({"male": 0, "female": 1, "other": 2}),
        "yrs_practice": th["experience_years"], "orient": th["orientation"].map(orient),
        "notes": "ok"}).astype({"tx": float, "age": float, "sex": float,
                                "yrs_practice": float, "orient": float})
    pyreadstat.write_sav(
        people, str(folder / "therapists.sav"),
        column_labels={"orient": "Theoretical orientation"},
        variable_value_labels={"sex": {0.0: "male", 1.0: "female", 2.0: "other"},
                               "orient": {10.0: "CBT", 11.0: "Integrative",
                                          12.0: "Humanistic", 13.0: "Psychodynamic",
                                          14.0: "Systemic"}})
    resp = t["therapist_responses"].copy()
    items = {f"{ins.prefix.upper()}_{i:02d}": resp[col].astype(float).fillna(-99)
             for ins in THERAPIST_INSTRUMENTS
             for i, col in enumerate(ins.item_columns, start=1)}
    long = pd.concat([pd.DataFrame({
        "therapist": resp["therapist_id"],
        "time": resp["wave"].map({"pre": 1.0, "post": 2.0, "followup": 3.0})}),
        pd.DataFrame(items)], axis=1)
    pyreadstat.write_sav(long, str(folder / "therapist_long.sav"),
                         variable_value_labels={"time": {1.0: "baseline", 2.0: "post",
                                                         3.0: "follow-up"}})
    pa = t["patients"]
    patients = pd.DataFrame({"patient": pa["patient_id"], "therapist": pa["therapist_id"],
                             "age": pa["age"], "gender": pa["gender"].map(
                                 {"female": "F", "male": "M", "other": "O"}),
                             "problem": pa["problem"]})
    stems = {ins.prefix: ins.prefix.upper() for ins in PATIENT_INSTRUMENTS}
    wide = _wide_items(t["patient_responses"], "patient_id", pa["patient_id"],
                       PATIENT_INSTRUMENTS, stems)
    wide.columns = [c.replace("_pre", "_t1").replace("_post", "_t2").replace("_seg", "_t3")
                    for c in wide.columns]
    wide = wide.replace({-9.0: -99.0, 999.0: -99.0}).astype("Int64")
    patients = pd.concat([patients, wide], axis=1)
    text = patients.to_csv(index=False, sep=";", lineterminator="\r\n")
    (folder / "patients.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return [folder / "therapists.sav", folder / "therapist_long.sav",
            folder / "patients.csv"]


def xlsx_mapping(tmp: Path) -> Path:
    """The example mapping, for the workbook: sheets, and labels written as text."""
    text = EXAMPLE.read_text("utf-8")
    text = text.replace("source: terapeutas.sav", "source: datos.xlsx\n    sheet: Terapeutas")
    text = text.replace("source: pacientes.sav", "source: datos.xlsx\n    sheet: Pacientes")
    text = text.replace("{1: MCBI, 2: control}", "{MCBI: MCBI, Control: control}")
    text = text.replace("{1: female, 2: male, 3: other}",
                        "{Mujer: female, Hombre: male, Otro: other}")
    text = re.sub(r"codes: \{1: cognitive.*?systemic\}",
                  "codes: {Cognitivo-conductual: cognitive-behavioural, Integrador: "
                  "integrative, Humanista: humanistic, Psicodinámico: psychodynamic, "
                  "Sistémico: systemic}", text, flags=re.S)
    text = text.replace("{1: anxiety, 2: depression, 3: relational, 4: adjustment, 5: other}",
                        "{Ansiedad: anxiety, Depresión: depression, Relacional: relational,"
                        " Adaptativo: adjustment, Otro: other}")
    path = tmp / "mapa-xlsx.yaml"
    path.write_text(text, encoding="utf-8")
    return path
