"""The canonical descriptor: keys, constraints and the committed datapackage.json."""

from __future__ import annotations

import json
import re

import pytest

from _datafixtures import DATA
from mcbi import __version__
from mcbi.synth.simulate import DEFAULT_SEED
from mcbi.trial import design
from mcbi.trial.content import PACKAGE_FILES, content_hash
from mcbi.trial.instruments import PATIENT_INSTRUMENTS, THERAPIST_INSTRUMENTS, Instrument
from mcbi.trial.schema import ID_PATTERN, package_descriptor


@pytest.fixture(scope="module")
def resources() -> dict[str, dict]:
    return {r["name"]: r for r in package_descriptor(seed=DEFAULT_SEED)["resources"]}


def _fields(resource: dict) -> dict[str, dict]:
    return {f["name"]: f for f in resource["schema"]["fields"]}


def _shipped() -> dict:
    return package_descriptor(seed=DEFAULT_SEED, content_sha256=content_hash(DATA))


def test_committed_descriptor_equals_generated() -> None:
    committed = json.loads((DATA / "datapackage.json").read_text("utf-8"))
    assert committed == _shipped()


def test_committed_descriptor_bytes() -> None:
    expected = json.dumps(_shipped(), indent=2, ensure_ascii=False) + "\n"
    assert (DATA / "datapackage.json").read_bytes() == expected.encode("utf-8")


def test_package_metadata() -> None:
    desc = package_descriptor(seed=DEFAULT_SEED)
    assert desc["name"] == design.PACKAGE_NAME
    assert desc["profile"] == "tabular-data-package"
    assert desc["synthetic"] is True
    assert f"seed {DEFAULT_SEED}" in desc["description"]
    assert __version__ in desc["description"]
    unseeded = package_descriptor()
    assert unseeded["synthetic"] is False
    assert "seed" not in unseeded["description"]
    assert "generator" not in unseeded


def test_generator_record_carries_the_content_hash() -> None:
    generator = _shipped()["generator"]
    assert generator["name"] == "mcbi" and generator["seed"] == DEFAULT_SEED
    assert generator["version"] == __version__
    assert re.fullmatch(r"[0-9a-f]{64}", generator["content_sha256"])
    assert "content_sha256" not in package_descriptor(seed=DEFAULT_SEED)["generator"]


def test_package_files_in_canonical_order() -> None:
    paths = [r["path"] for r in package_descriptor()["resources"]]
    assert list(PACKAGE_FILES) == paths


def test_resources_and_paths(resources: dict[str, dict]) -> None:
    assert {name: r["path"] for name, r in resources.items()} == {
        "therapists": design.THERAPISTS_FILE,
        "patients": design.PATIENTS_FILE,
        "therapist_responses": design.THERAPIST_RESPONSES_FILE,
        "patient_responses": design.PATIENT_RESPONSES_FILE,
    }
    for r in resources.values():
        assert r["encoding"] == "utf-8"
        assert r["dialect"]["delimiter"] == ","
        assert r["schema"]["missingValues"] == [""]


@pytest.mark.parametrize(
    ("name", "key"),
    [("therapists", ["therapist_id"]), ("patients", ["patient_id"]),
     ("therapist_responses", ["therapist_id", "wave"]),
     ("patient_responses", ["patient_id", "wave"])],
)
def test_primary_keys(resources: dict[str, dict], name: str, key: list[str]) -> None:
    schema = resources[name]["schema"]
    assert schema["primaryKey"] == key
    fields = _fields(resources[name])
    for col in key:
        assert fields[col]["constraints"]["required"] is True


@pytest.mark.parametrize(
    ("name", "fk"),
    [("therapists", None),
     ("patients", ("therapist_id", "therapists")),
     ("therapist_responses", ("therapist_id", "therapists")),
     ("patient_responses", ("patient_id", "patients"))],
)
def test_foreign_keys(resources: dict[str, dict], name: str, fk) -> None:
    declared = resources[name]["schema"].get("foreignKeys")
    if fk is None:
        assert declared is None
        return
    col, target = fk
    assert declared == [{"fields": [col], "reference": {"resource": target, "fields": [col]}}]
    assert resources[target]["schema"]["primaryKey"] == [col]


def test_arm_and_wave_enums(resources: dict[str, dict]) -> None:
    assert _fields(resources["therapists"])["arm"]["constraints"]["enum"] == list(design.ARMS)
    for name in ("therapist_responses", "patient_responses"):
        wave = _fields(resources[name])["wave"]
        assert wave["constraints"]["enum"] == list(design.WAVES)
        for w in design.WAVES:
            assert w in wave["description"]


def _item_constraints(ins: Instrument) -> dict:
    allowed = [v for v in range(ins.low, ins.high + 1) if v not in ins.excluded_values]
    if ins.excluded_values:
        return {"enum": allowed}
    return {"minimum": ins.low, "maximum": ins.high}


@pytest.mark.parametrize(
    ("resource", "instruments"),
    [("therapist_responses", THERAPIST_INSTRUMENTS), ("patient_responses", PATIENT_INSTRUMENTS)],
)
def test_item_fields_follow_the_registry(resources: dict[str, dict], resource: str,
                                         instruments: tuple[Instrument, ...]) -> None:
    fields = resources[resource]["schema"]["fields"]
    id_col = "therapist_id" if resource.startswith("therapist") else "patient_id"
    expected_cols = [id_col, "wave"] + [c for ins in instruments for c in ins.item_columns]
    assert [f["name"] for f in fields] == expected_cols
    by_name = {f["name"]: f for f in fields}
    for ins in instruments:
        reverse = set(ins.scales[0].reverse)
        for i, col in enumerate(ins.item_columns, start=1):
            field = by_name[col]
            assert field["type"] == "integer"
            assert field["constraints"] == _item_constraints(ins), col
            assert "required" not in field["constraints"]  # item nonresponse is allowed
            assert ("reverse-keyed" in field["description"]) == (i in reverse), col


def test_eus_items_exclude_zero(resources: dict[str, dict]) -> None:
    eusp = _fields(resources["patient_responses"])["eusp_01"]
    assert eusp["constraints"] == {"enum": [-3, -2, -1, 1, 2, 3]}
    eust = _fields(resources["therapist_responses"])["eust_16"]
    assert 0 not in eust["constraints"]["enum"]


def test_id_patterns(resources: dict[str, dict]) -> None:
    """Every id column (keys and foreign keys) takes any non-empty code without spaces."""
    ids = [(name, f) for name, r in resources.items() for f in r["schema"]["fields"]
           if f["name"] in ("therapist_id", "patient_id")]
    assert len(ids) == 5
    for name, field in ids:
        assert field["constraints"] == {"required": True, "pattern": ID_PATTERN}, name


@pytest.mark.parametrize("code", ["T01", "P001", "TH-001", "p_17", "0042", "Ünal.3", "A/B"])
def test_id_pattern_accepts_codes_real_studies_use(code: str) -> None:
    # frictionless anchors a pattern as ^pattern$
    assert re.match(f"^{ID_PATTERN}$", code)


@pytest.mark.parametrize("code", ["", "T 01", " T01", "T01 ", "P\t17"])
def test_id_pattern_refuses_whitespace_and_empty(code: str) -> None:
    assert not re.match(f"^{ID_PATTERN}$", code)
