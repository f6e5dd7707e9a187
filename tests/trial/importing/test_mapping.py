"""Malformed mappings are refused with one clear message each, naming the key and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcbi.trial.importing import ImportRefused
from mcbi.trial.importing.mapping import expand_item, load_mapping

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = (ROOT / "docs" / "mapa-ejemplo.yaml").read_text("utf-8")

CASES = [
    # (id, replace this, with this, key named, rule, phrase)
    ("unknown-table", "  therapist_responses:\n", "  therapist_answers:\n",
     "tables.therapist_answers", "known keys", "therapists, patients, therapist_responses"),
    ("unknown-field", "      age: edad\n      gender:\n        column: sexo\n        codes: "
     "{1: female, 2: male, 3: other}\n      experience_years",
     "      edad_anos: edad\n      gender:\n        column: sexo\n        codes: "
     "{1: female, 2: male, 3: other}\n      experience_years",
     "tables.therapists.fields.edad_anos", "known keys", "'edad_anos' is not a key here"),
    ("bad-pattern", '"teca{item}_{wave}"', '"teca{itme}_{wave}"',
     "tables.therapist_responses.items.teca", "valid pattern",
     "'{itme}' is not a placeholder"),
    ("pattern-without-wave", '"dass{item}_{wave}"', '"dass{item}"',
     "tables.therapist_responses.items.dass", "valid pattern", "lacks {wave}"),
    ("unbalanced-brace", '"phi{item}_{wave}"', '"phi{item_{wave}"',
     "tables.patient_responses.items.phi", "valid pattern", "a pattern may hold only"),
    ("missing-required-field", "      experience_years: experiencia\n", "",
     "tables.therapists.fields.experience_years", "required field",
     "'experience_years' is not mapped"),
    ("required-field-null", "      age: edad\n      gender:\n        column: sexo\n"
     "        codes: {1: female, 2: male, 3: other}\n      experience_years",
     "      age: ~\n      gender:\n        column: sexo\n"
     "        codes: {1: female, 2: male, 3: other}\n      experience_years",
     "tables.therapists.fields.age", "required field", "'age' is required"),
    ("missing-instrument", '      scs: "scs{item}_{wave}"\n      dass', "      dass",
     "tables.therapist_responses.items.scs", "required field",
     "instrument 'scs' is not mapped"),
    ("instrument-of-other-table", '      pms: "pms{item}_{wave}"',
     '      pms: "pms{item}_{wave}"\n      bsi: "bsi{item}_{wave}"',
     "tables.therapist_responses.items.bsi", "known keys", "'bsi' is not a key here"),
    ("code-to-unknown-value", "{1: MCBI, 2: control}", "{1: MCBI, 2: waitlist}",
     "tables.therapists.fields.arm.codes.2", "code map", "'waitlist', which is not one of"),
    ("todo-left", "      age: edad\n      gender:\n        column: sexo\n        codes: "
     "{1: female, 2: male, 3: other}\n      experience_years",
     "      age: TODO\n      gender:\n        column: sexo\n        codes: "
     "{1: female, 2: male, 3: other}\n      experience_years",
     "tables.therapists.fields.age", "filled in", "still marked TODO"),
    ("unknown-wave", 'followup: "seg"}', 'seguimiento: "seg"}', "waves.seguimiento",
     "known waves", "not one of the trial's waves"),
    ("unknown-layout", "    layout: wide\n    fields:\n      therapist_id",
     "    layout: tall\n    fields:\n      therapist_id",
     "tables.therapist_responses.layout", "known layout", "'tall' is neither"),
    ("wrong-format-version", "mcbi_mapping: 1", "mcbi_mapping: 2", "mcbi_mapping",
     "known format", "mcbi_mapping: 1"),
    ("missing-table", "  patients:\n    source: pacientes.sav\n    fields:\n      patient_id:"
     " paciente\n      therapist_id: terapeuta\n      age: edad\n      gender:\n        "
     "column: sexo\n        codes: {1: female, 2: male, 3: other}\n      problem:\n        "
     "column: problema\n        codes: {1: anxiety, 2: depression, 3: relational, 4: "
     "adjustment, 5: other}\n", "", "tables.patients", "required field",
     "table 'patients' is not mapped"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_malformed_mapping_is_refused_with_one_message(case, tmp_path: Path) -> None:
    _, old, new, where, rule, phrase = case
    assert old in EXAMPLE, old
    path = tmp_path / "map.yaml"
    path.write_text(EXAMPLE.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ImportRefused) as info:
        load_mapping(path)
    assert len(info.value.problems) == 1, str(info.value)
    (problem,) = info.value.problems
    line = problem.line()
    assert line.startswith(f"map.yaml, key '{where}': rule '{rule}' broken"), line
    assert phrase in line, line


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("mcbi_mapping: 1\ntables: [\n", encoding="utf-8")
    with pytest.raises(ImportRefused, match=r"map.yaml: rule 'valid YAML' broken: .*line 3"):
        load_mapping(path)


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="rule 'file exists' broken"):
        load_mapping(tmp_path / "nope.yaml")


def test_example_mapping_loads(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    mapping = load_mapping(path)
    items = mapping.tables["therapist_responses"].fields
    assert items["pms_10"].column == "pms10_{wave}"
    assert items["therapist_id"].missing == set()  # missing codes never apply to ids
    assert mapping.tables["therapists"].fields["arm"].codes == {"1": "MCBI", "2": "control"}


def test_item_numbers_can_be_zero_padded() -> None:
    assert expand_item("PMS_{item:02}", 7) == "PMS_07"
    assert expand_item("PMS_{item}_{wave}", 10) == "PMS_10_{wave}"
